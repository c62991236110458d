// Runs batches through a module, either in a worker thread with a per-batch time budget (a runaway
// loop is stopped with worker.terminate(); the worker is respawned for the next batch) or inline on
// the calling thread (no budget: `time_budget_ms: 0`, used by benches and `flowlog transform test`).
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../../core/worker.js';
import { FlowlogError, type ErrorCodeName } from '../../../core/errors.js';
import type { BatchResult } from './decode.js';
import type { EncodedBatch } from './encode.js';
import { ModuleInstance, type ModuleLog } from './instance.js';
import type { LoadedModule } from './module-cache.js';
import type { FromWorker, ToWorker } from './worker.js';

export interface Runner {
  /** The module's flowlog_needs bits (after init). */
  readonly needs: number;
  /** The attribute keys it reads, with NEEDS_SELECTED_ATTRIBUTES. */
  readonly attrKeys: string[] | null;
  run(batch: EncodedBatch): Promise<BatchResult>;
  close(): Promise<void>;
}

export interface RunnerOptions {
  config: string;
  maxPages: number;
  log: ModuleLog;
}

export class InlineRunner implements Runner {
  private inst: ModuleInstance | null;
  readonly needs: number;
  readonly attrKeys: string[] | null;
  constructor(
    private readonly mod: LoadedModule,
    private readonly opts: RunnerOptions,
  ) {
    this.inst = new ModuleInstance(mod, opts.config, opts.maxPages, opts.log);
    this.needs = this.inst.needs;
    this.attrKeys = this.inst.attrKeys;
  }
  async run(b: EncodedBatch): Promise<BatchResult> {
    return this.runSync(b);
  }
  runSync(b: EncodedBatch): BatchResult {
    const inst = (this.inst ??= new ModuleInstance(this.mod, this.opts.config, this.opts.maxPages, this.opts.log));
    try {
      const r = inst.run(b.bytes.subarray(0, b.length), b.count);
      return { statuses: r.statuses, output: r.output, input: r.input };
    } catch (e) {
      this.inst = null;
      throw e;
    }
  }
  async close(): Promise<void> {
    this.inst = null;
  }
}

function spawnWorker(): Worker {
  return startWorker(import.meta.url, 'worker');
}

export class WorkerRunner implements Runner {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private pending: { id: number; resolve: (r: BatchResult) => void; reject: (e: Error) => void } | null = null;
  private nextId = 1;
  private closed = false;
  needs = 0;
  attrKeys: string[] | null = null;

  constructor(
    private readonly mod: LoadedModule,
    private readonly opts: RunnerOptions & { timeBudgetMs: number },
  ) {}

  /** Starts the worker and initializes the module (rejects with TRANSFORM_LOAD on a bad module). */
  start(): Promise<void> {
    if (this.ready) return this.ready;
    const w = spawnWorker();
    w.unref();
    this.worker = w;
    this.ready = new Promise<void>((resolve, reject) => {
      let loaded = false;
      w.on('message', (m: FromWorker) => {
        if (m.t === 'log') return this.opts.log(m.level, m.msg);
        if (m.t === 'loaded') {
          loaded = true;
          this.needs = m.needs;
          this.attrKeys = m.attrKeys;
          return resolve();
        }
        if (m.t === 'error' && m.id === -1) return reject(new FlowlogError(m.code as ErrorCodeName, m.message));
        const p = this.pending;
        if (!p || p.id !== m.id) return;
        this.pending = null;
        if (m.t === 'done') p.resolve({ statuses: m.statuses, output: m.output, input: m.input });
        else p.reject(new FlowlogError(m.code as ErrorCodeName, m.message));
      });
      w.on('error', (e) => {
        if (!loaded) reject(new FlowlogError('TRANSFORM_LOAD', `transform worker failed: ${e.message}`, { cause: e }));
        this.failPending(new FlowlogError('TRANSFORM_TRAP', `transform worker failed: ${e.message}`, { cause: e }));
        this.reset(w);
      });
      w.on('exit', () => {
        if (!loaded) reject(new FlowlogError('TRANSFORM_LOAD', 'transform worker exited during load'));
        this.failPending(new FlowlogError('TRANSFORM_TRAP', 'transform worker exited'));
        this.reset(w);
      });
    });
    w.postMessage({
      t: 'load',
      module: this.mod.module,
      source: this.mod.source,
      minPages: this.mod.minPages,
      config: this.opts.config,
      maxPages: this.opts.maxPages,
    } satisfies ToWorker);
    return this.ready;
  }

  private reset(w: Worker): void {
    if (this.worker === w) {
      this.worker = null;
      this.ready = null;
    }
  }

  private failPending(e: Error): void {
    const p = this.pending;
    this.pending = null;
    p?.reject(e);
  }

  /** One batch at a time (the transform serializes calls); the time budget starts when it is posted. */
  async run(b: EncodedBatch): Promise<BatchResult> {
    if (this.closed) throw new FlowlogError('TRANSFORM_LOAD', 'transform runner is closed');
    await this.start();
    const w = this.worker!;
    const input = b.bytes.slice(0, b.length); // copy: the encoder reuses its buffer
    const id = this.nextId++;
    return new Promise<BatchResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending?.id !== id) return;
        this.pending = null;
        this.reset(w);
        void w.terminate();
        reject(new FlowlogError('TRANSFORM_TIMEOUT', `module exceeded its time budget of ${this.opts.timeBudgetMs} ms on a ${b.count}-record batch; worker stopped`));
      }, this.opts.timeBudgetMs);
      this.pending = {
        id,
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      w.postMessage({ t: 'run', id, input, count: b.count } satisfies ToWorker, [input.buffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    this.ready = null;
    if (w) await w.terminate();
  }
}
