// WasmTransform: the Transform that runs a module over batches (≤ max_batch records per call).
// Errors (trap, time budget, ABI violation) are contained per batch: on_error decides what happens to
// that batch (pass unchanged / drop / dead_letter), it is counted, and the next batch gets a fresh
// instance. Hot reload: the module file is polled; a new version is validated and initialized before
// it replaces the old one between two batches, so no record is lost or reordered.
import { appendFile, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Transform } from '../../../core/component.js';
import { encodeEvent } from '../../../core/codec.js';
import { FlowlogError, describeError } from '../../../core/errors.js';
import type { LogEvent } from '../../../core/event.js';
import { createLogger, type Logger } from '../../../core/telemetry/logger.js';
import { Metrics, type Counter } from '../../../core/telemetry/metrics.js';
import { decodeBatch, type BatchResult, type DecodeCounts } from './decode.js';
import { BatchEncoder } from './encode.js';
import { loadModuleBytes, type LoadedModule } from './module-cache.js';
import { checkAbiVersion } from './instance.js';
import { InlineRunner, type Runner } from './runner.js';
import { QUEUE_DEPTH, WorkerRunner } from './worker-runner.js';

export type OnError = 'pass' | 'drop' | 'dead_letter';

export interface WasmTransformOptions {
  /** Label for logs and metrics (the transform type or the module file name). */
  name: string;
  module: LoadedModule;
  /** The module file, for hot reload (omit: no reload). */
  modulePath?: string;
  sha256?: string;
  /** Config handed to flowlog_init as JSON. */
  config: unknown;
  onError: OnError;
  /** Per-batch budget; 0: none. */
  timeBudgetMs: number;
  /** Run the module in a worker thread instead of on the calling thread. */
  workerThread?: boolean;
  maxMemoryPages: number;
  maxBatch: number;
  deadLetterPath?: string;
  /** Receives the events of a failed batch when on_error is dead_letter (in addition to the file). */
  onDeadLetter?: (events: LogEvent[], error: Error) => void | Promise<void>;
  reloadIntervalMs?: number;
  metrics?: Metrics;
  log?: Logger;
}

let defaultMetrics = new Metrics();
let defaultLog: Logger | null = null;

/** Where transforms built by their ComponentDefs report (the agent calls this at startup). */
export function setTransformTelemetry(metrics: Metrics, log: Logger): void {
  defaultMetrics = metrics;
  defaultLog = log;
}

/** The metrics and logger transforms report to by default. */
export function transformTelemetry(): { metrics: Metrics; log: Logger | null } {
  return { metrics: defaultMetrics, log: defaultLog };
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export class WasmTransform implements Transform {
  private runner: Runner;
  private next: Runner | null = null;
  private current: LoadedModule;
  private readonly encoder = new BatchEncoder();
  /** Serializes the hand-over of batches to the runner (not their results: a worker runs several in a row). */
  private chain: Promise<unknown> = Promise.resolve();
  /** Replaced runners finishing what they have queued (hot reload). */
  private retiring: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;
  private readonly c: Record<string, Counter>;
  private readonly counts: DecodeCounts = { kept: 0, dropped: 0, modified: 0 };
  private timer: NodeJS.Timeout | null = null;
  private lastStat = '';
  private pendingStat = '';
  private reloading = false;
  private closed = false;

  constructor(private readonly o: WasmTransformOptions) {
    const m = o.metrics ?? defaultMetrics;
    this.log = (o.log ?? defaultLog ?? createLogger()).child({ transform: o.name });
    const ev = (outcome: string) => m.counter('flowlog_transform_events_total', 'Events through a WASM transform, by outcome', { transform: o.name, outcome });
    const err = (kind: string) => m.counter('flowlog_transform_errors_total', 'WASM transform failures (per batch), by kind', { transform: o.name, kind });
    const act = (action: string) =>
      m.counter('flowlog_transform_error_events_total', 'Events of failed batches, by on_error action', { transform: o.name, action });
    const rl = (result: string) => m.counter('flowlog_transform_reloads_total', 'Module hot reloads', { transform: o.name, result });
    this.c = {
      in: ev('in'), kept: ev('kept'), dropped: ev('dropped'), modified: ev('modified'),
      trap: err('trap'), timeout: err('timeout'), abi: err('abi'), load: err('load'),
      pass: act('pass'), drop: act('drop'), dead_letter: act('dead_letter'),
      reloadOk: rl('ok'), reloadFailed: rl('failed'),
    };
    this.current = o.module;
    this.noteMeter(o.module);
    checkAbiVersion(o.module, o.maxMemoryPages, o.timeBudgetMs);
    this.runner = this.makeRunner(o.module);
    if (o.modulePath && (o.reloadIntervalMs ?? 0) > 0) this.watch(o.modulePath, o.reloadIntervalMs!);
  }

  /** Says once when a budgeted inline module cannot be metered and runs under the vm watchdog instead. */
  private noteMeter(mod: LoadedModule): void {
    if (mod.metered || this.o.timeBudgetMs <= 0 || this.o.workerThread) return;
    this.log.once(`meter:${mod.sha256}`, 'info', 'transform module runs under the vm watchdog (a thread per batch): the meter cannot rewrite it', {
      module: mod.source,
      reason: mod.meterRefusal,
    });
  }

  /** Event counters since start (kept, dropped, modified). */
  stats(): Readonly<DecodeCounts> {
    return this.counts;
  }

  /** sha256 of the module currently running. */
  get moduleSha256(): string {
    return this.current.sha256;
  }

  /** Resolves once the module is instantiated (and initialized) wherever it runs. */
  async ready(): Promise<void> {
    if (this.runner instanceof WorkerRunner) await this.runner.start();
  }

  private makeRunner(mod: LoadedModule): Runner {
    const opts = {
      config: JSON.stringify(this.o.config ?? {}),
      maxPages: this.o.maxMemoryPages,
      log: (level: number, msg: string) => this.log.once(`module:${msg}`, LEVELS[level] ?? 'info', `module: ${msg}`),
    };
    return this.o.workerThread && this.o.timeBudgetMs > 0
      ? new WorkerRunner(mod, { ...opts, timeBudgetMs: this.o.timeBudgetMs })
      : new InlineRunner(mod, { ...opts, timeBudgetMs: this.o.timeBudgetMs });
  }

  /** process() calls that may be outstanding at once; results still come in call order. */
  get concurrency(): number {
    return this.runner instanceof WorkerRunner ? QUEUE_DEPTH : 1;
  }

  process(events: LogEvent[]): Promise<LogEvent[]> {
    const handed = this.chain.then(() => this.handOver(events));
    this.chain = handed.catch(() => undefined);
    return handed.then((h) => h.result);
  }

  /** Encodes the batch and hands it to the runner; resolves once it is handed over, with its result to come. */
  private async handOver(events: LogEvent[]): Promise<{ result: Promise<LogEvent[]> }> {
    if (this.next) {
      const old = this.runner;
      this.runner = this.next;
      this.next = null;
      this.retiring = Promise.all([this.retiring, old.close()]); // a worker finishes what it has queued first
    }
    if (this.runner instanceof WorkerRunner && !this.runner.initialized) {
      try {
        await this.runner.start();
      } catch (e) {
        if (events.length) this.c.in!.inc(events.length);
        return { result: this.failed(events, e as Error) };
      }
    }
    if (events.length <= this.o.maxBatch) return { result: this.chunk(events) };
    const parts: Promise<LogEvent[]>[] = [];
    for (let i = 0; i < events.length; i += this.o.maxBatch) parts.push(this.chunk(events.slice(i, i + this.o.maxBatch)));
    return { result: Promise.all(parts).then((rs) => rs.flat()) };
  }

  /** Encodes and hands one chunk to the runner before returning (the encoder's buffer is reused). */
  private chunk(events: LogEvent[]): Promise<LogEvent[]> {
    if (events.length === 0) return Promise.resolve(events);
    this.c.in!.inc(events.length);
    let res: Promise<BatchResult>;
    try {
      const r = this.runner;
      res = r.runEvents ? r.runEvents(events, this.encoder) : r.run(this.encoder.encode(events, r.needs, r.attrKeys));
    } catch (e) {
      return this.failed(events, e as Error);
    }
    return res.then(
      (r) => {
        try {
          return this.decode(events, r);
        } catch (e) {
          return this.failed(events, e as Error);
        }
      },
      (e: Error) => this.failed(events, e),
    );
  }

  private decode(events: LogEvent[], res: BatchResult): LogEvent[] {
    const before = { ...this.counts };
    const out = decodeBatch(events, res, this.counts);
    this.c.kept!.inc(this.counts.kept - before.kept);
    this.c.dropped!.inc(this.counts.dropped - before.dropped);
    this.c.modified!.inc(this.counts.modified - before.modified);
    return out;
  }

  private async failed(events: LogEvent[], e: Error): Promise<LogEvent[]> {
    const code = e instanceof FlowlogError ? e.code : 'FLOWLOG_TRANSFORM_TRAP';
    const kind = code === 'FLOWLOG_TRANSFORM_TIMEOUT' ? 'timeout' : code === 'FLOWLOG_TRANSFORM_ABI' ? 'abi' : code === 'FLOWLOG_TRANSFORM_LOAD' ? 'load' : 'trap';
    this.c[kind]!.inc();
    this.c[this.o.onError]!.inc(events.length);
    this.log.warn('transform batch failed', { error: describeError(e), code, events: events.length, on_error: this.o.onError });
    if (this.o.onError === 'pass') return events;
    if (this.o.onError === 'dead_letter') await this.deadLetter(events, e);
    return [];
  }

  private async deadLetter(events: LogEvent[], e: Error): Promise<void> {
    if (this.o.onDeadLetter) await this.o.onDeadLetter(events, e);
    const path = this.o.deadLetterPath;
    if (!path) return;
    let text = '';
    for (const ev of events) text += encodeEvent(ev) + '\n';
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await appendFile(path, text, { mode: 0o600 });
  }

  private watch(path: string, intervalMs: number): void {
    void stat(path).then((s) => (this.lastStat = `${s.size}:${s.mtimeMs}:${s.ino}`), () => undefined);
    this.timer = setInterval(() => void this.poll(path), intervalMs);
    this.timer.unref();
  }

  /** A changed file is loaded only once its size and mtime held still for one poll interval. */
  private async poll(path: string): Promise<void> {

    if (this.reloading || this.closed) return;
    let sig: string;
    try {
      const s = await stat(path);
      sig = `${s.size}:${s.mtimeMs}:${s.ino}`;
    } catch {
      return; // momentarily absent (replaced by rename): try again next poll
    }
    if (sig === this.lastStat) return;
    if (sig !== this.pendingStat) {
      this.pendingStat = sig;
      return;
    }
    this.reloading = true;
    try {
      const bytes = await readFile(path);
      const mod = loadModuleBytes(bytes, path, this.o.sha256);
      if (mod.sha256 !== this.current.sha256) {
        this.noteMeter(mod);
        checkAbiVersion(mod, this.o.maxMemoryPages, this.o.timeBudgetMs);
        const runner = this.makeRunner(mod);
        if (runner instanceof WorkerRunner) await runner.start();
        if (this.closed) await runner.close();
        else {
          const stale = this.next;
          this.next = runner;
          this.current = mod;
          await stale?.close();
          this.c.reloadOk!.inc();
          this.log.info('transform module reloaded', { module: path, sha256: mod.sha256 });
        }
      }
      this.lastStat = sig;
    } catch (e) {
      this.c.reloadFailed!.inc();
      this.lastStat = sig; // do not retry the same bad file every poll; a new write changes the stat
      this.log.warn('transform module reload refused; keeping the running version', { module: path, error: describeError(e) });
    } finally {
      this.reloading = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.chain;
    await this.runner.close();
    await this.next?.close();
    await this.retiring;
  }
}
