import type { Command } from 'commander';
import { ConfigError, loadConfigFile } from '../../core/config/load.js';
import { describeError } from '../../core/errors.js';
import { createLogger } from '../../core/telemetry/logger.js';
import { ApiServer } from '../../core/telemetry/api-server.js';
import { Metrics } from '../../core/telemetry/metrics.js';
import { runAggregator } from '../../aggregator/runtime.js';
import { registerAll } from '../components.js';

export function registerAggregator(program: Command): void {
  program
    .command('aggregator')
    .description(
      'run the aggregator: consume Kafka (consumer group), route records to sinks (archive, ...), commit offsets after every sink acknowledged; SIGTERM/SIGINT drain and stop',
    )
    .requiredOption('-c, --config <file>', 'aggregator config file (YAML): kafka sources, sinks, routes')
    .action(async (opts: { config: string }) => {
      registerAll();
      let cfg;
      try {
        cfg = loadConfigFile(opts.config, { role: 'aggregator' });
      } catch (e) {
        process.stderr.write((e instanceof ConfigError ? e.message : describeError(e)) + '\n');
        process.exitCode = 1;
        return;
      }
      const log = createLogger({ level: cfg.log.level, format: cfg.log.format });
      const ac = new AbortController();
      const metrics = new Metrics();
      // /metrics and /health (127.0.0.1:8686 unless api.address says otherwise; api.enabled: false turns it off)
      let state: 'running' | 'stopping' = 'running';
      let api: ApiServer | null = null;
      if (cfg.api.enabled) {
        api = new ApiServer(metrics, { health: () => ({ status: state === 'running' ? 'ok' : state }) });
        try {
          const a = await api.listen(cfg.api.address);
          log.info('api listening', { address: `${a.host}:${a.port}` });
        } catch (e) {
          process.stderr.write(`${describeError(e)} (set api.address to a free host:port, or api.enabled: false)\n`);
          process.exitCode = 1;
          return;
        }
      }
      const stop = (sig: string) => {
        if (ac.signal.aborted) {
          log.warn('second signal: exiting now (unacknowledged records are read again on restart)', { signal: sig });
          process.exit(130);
        }
        log.info('signal received: draining', { signal: sig });
        state = 'stopping';
        ac.abort();
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      try {
        await runAggregator(cfg, { signal: ac.signal, log, metrics });
        log.info('aggregator stopped');
      } catch (e) {
        log.error('aggregator failed', { error: describeError(e) });
        process.exitCode = 1;
      }
      await api?.close();
      process.exit();
    });
}
