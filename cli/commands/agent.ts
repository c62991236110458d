import type { Command } from 'commander';
import { ConfigError } from '../../core/config/load.js';
import { describeError } from '../../core/errors.js';
import { Agent } from '../../agent/runtime/lifecycle.js';
import { registerAll } from '../components.js';

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description(
      'run the agent: sources → transforms → SQLite spool → sinks (Kafka); /metrics and /health on api.address. ' +
        'SIGTERM drains and exits 0; SIGHUP reloads the config (a bad one is refused, the running one stays)',
    )
    .requiredOption('-c, --config <file>', 'config file (YAML)')
    .option('--shutdown-timeout <ms>', 'on SIGTERM, how long sinks may keep sending before the agent exits', '10000')
    .action(async (opts: { config: string; shutdownTimeout: string }) => {
      registerAll();
      const timeout = Number(opts.shutdownTimeout);
      if (!Number.isFinite(timeout) || timeout < 0) {
        process.stderr.write(`--shutdown-timeout: expected milliseconds, got "${opts.shutdownTimeout}"\n`);
        process.exitCode = 2;
        return;
      }
      const agent = new Agent(opts.config, { shutdownTimeoutMs: timeout });
      agent.handleSignals();
      try {
        await agent.start();
      } catch (e) {
        process.stderr.write((e instanceof ConfigError ? e.message : `flowlog agent: ${describeError(e)}`) + '\n');
        process.exit(1);
      }
      const code = await agent.exited;
      // kafkajs and timers may hold the loop open: the agent is done
      process.exit(code);
    });
}
