// The agent process: load the config, run a Pipeline, serve /metrics and /health, and handle signals.
//   SIGTERM/SIGINT: stop sources, flush transforms into the spool, let sinks send until the deadline,
//                   exit 0 (what was not sent stays in the spool for the next start).
//   SIGHUP:         reload the config; a config that does not load is refused (logged, counted) and
//                   the running one keeps going.
// When every source reached the end of its input (stdin closed), the agent drains and exits 0 too.
import { loadConfigFile, type LoadedConfig } from '../../core/config/load.js';
import { describeError } from '../../core/errors.js';
import { createLogger, type Logger } from '../../core/telemetry/logger.js';
import { Metrics } from '../../core/telemetry/metrics.js';
import { ApiServer } from '../../core/telemetry/api-server.js';
import { registerProcessMetrics, type AgentState } from './health.js';
import { Pipeline } from './pipeline.js';
import { buildTopology } from './topology.js';

export interface AgentOptions {
  /** How long SIGTERM waits for sinks to send what is in the spool. */
  shutdownTimeoutMs?: number;
  log?: Logger;
}

export class Agent {
  readonly metrics = new Metrics();
  private log: Logger;
  private pipeline: Pipeline | null = null;
  private api: ApiServer | null = null;
  private state: AgentState = 'starting';
  private readonly proc = registerProcessMetrics(this.metrics);
  private busy: Promise<unknown> = Promise.resolve();
  private exit!: (code: number) => void;
  readonly exited: Promise<number>;
  private stopping = false;
  apiPort = 0;

  constructor(
    private readonly file: string,
    private readonly opts: AgentOptions = {},
  ) {
    this.log = opts.log ?? createLogger();
    this.exited = new Promise((r) => (this.exit = r));
    this.proc.setState('starting');
  }

  private setState(s: AgentState): void {
    this.state = s;
    this.proc.setState(s);
  }

  health() {
    if (this.state !== 'running' || !this.pipeline) return { status: this.state };
    return this.pipeline.health();
  }

  /** Loads the config and starts; throws (with file:line messages) when the config is bad. */
  async start(): Promise<void> {
    const cfg = loadConfigFile(this.file, { role: 'agent' });
    if (!this.opts.log) this.log = createLogger({ level: cfg.log.level, format: cfg.log.format });
    this.launch(cfg);
    if (cfg.api.enabled) {
      this.api = new ApiServer(this.metrics, this);
      const a = await this.api.listen(cfg.api.address);
      this.apiPort = a.port;
      this.log.info('api listening', { address: `${a.host}:${a.port}` });
    }
    this.setState('running');
    this.log.info('agent running', { config: this.file, components: cfg.components.map((c) => `${c.kind}:${c.name}`) });
  }

  private launch(cfg: LoadedConfig): void {
    const p = new Pipeline(cfg, this.log, this.metrics);
    p.start();
    this.pipeline = p;
    void p.fatal.then((e) => {
      if (this.pipeline === p) void this.shutdown(1, `fatal: ${describeError(e)}`);
    });
    void p.sourcesFinished.then(() => {
      if (this.pipeline === p && !this.stopping && this.state === 'running') void this.shutdown(0, 'every source reached the end of its input');
    });
  }

  /** SIGHUP: reload the config; on any problem the old pipeline keeps running. */
  reload(): Promise<void> {
    const run = async () => {
      if (this.stopping || !this.pipeline) return;
      let cfg: LoadedConfig;
      try {
        cfg = loadConfigFile(this.file, { role: 'agent' });
        buildTopology(cfg); // components build without side effects: refuse a config that cannot
      } catch (e) {
        this.proc.reloaded(false);
        this.log.error('config reload refused; the running config stays', { config: this.file, error: describeError(e) });
        return;
      }
      this.setState('reloading');
      const old = this.pipeline;
      this.pipeline = null;
      await old.stop({ drain: false, deadline: Date.now() + (this.opts.shutdownTimeoutMs ?? 10_000) });
      try {
        this.launch(cfg);
        this.proc.reloaded(true);
        this.log.info('config reloaded', { config: this.file, components: cfg.components.map((c) => `${c.kind}:${c.name}`) });
      } catch (e) {
        this.proc.reloaded(false);
        this.log.error('new config failed to start; restarting the previous one', { error: describeError(e) });
        this.launch(old.cfg);
      }
      this.setState('running');
    };
    return (this.busy = this.busy.then(run, run));
  }

  /** Graceful stop; resolves the exit code. */
  shutdown(code = 0, reason = 'signal'): Promise<void> {
    if (this.stopping) return this.busy.then(() => undefined);
    this.stopping = true;
    const run = async () => {
      this.setState('stopping');
      const deadline = Date.now() + (this.opts.shutdownTimeoutMs ?? 10_000);
      this.log.info('agent stopping', { reason, deadline_ms: deadline - Date.now() });
      let clean = true;
      try {
        if (this.pipeline) clean = (await this.pipeline.stop({ drain: true, deadline })).clean;
      } catch (e) {
        this.log.error('error while stopping', { error: describeError(e) });
      }
      await this.api?.close();
      this.log.info('agent stopped', { clean });
      this.exit(code);
    };
    return (this.busy = this.busy.then(run, run));
  }

  /** Installs SIGTERM/SIGINT/SIGHUP handlers (the CLI does this; tests drive the methods directly). */
  handleSignals(): void {
    const term = (sig: string) => {
      if (this.stopping) {
        this.log.warn('second signal: exiting now; unsent records stay in the spool', { signal: sig });
        this.exit(130);
        return;
      }
      void this.shutdown(0, sig);
    };
    process.on('SIGTERM', () => term('SIGTERM'));
    process.on('SIGINT', () => term('SIGINT'));
    process.on('SIGHUP', () => void this.reload());
  }
}
