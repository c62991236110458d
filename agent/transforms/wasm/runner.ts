// Runs batches through a module, on the calling thread (the default) or in a worker thread
// (`worker_thread: true`). Both enforce the per-batch time budget:
// - inline, the call goes through a vm.Script with a `timeout`: Node's watchdog thread calls V8's
//   TerminateExecution, which stops WebAssembly at its next loop back-edge (measured: a `loop br 0`
//   stopped at 50.7 ms for a 50 ms budget; 45 us per guarded call, once per batch of up to 4096).
//   The instance is discarded, as after a trap. No thread hop, no copy of the batch.
// - in a worker, a runaway loop is stopped with worker.terminate() (~3 ms) and the worker respawned;
//   this moves the module's CPU off the pipeline thread, at the cost of a copy and a hop per batch.
// `time_budget_ms: 0` runs inline without a watchdog.
import { Script, createContext, type Context } from 'node:vm';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../../core/worker.js';
import { FlowlogError, isFlowlogError, type ErrorCodeName } from '../../../core/errors.js';
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

/** The guarded call: runs the context's `flowlog_call` under runInContext's timeout. */
const GUARDED_CALL = new Script('flowlog_call()', { filename: 'flowlog-transform-budget' });

export class InlineRunner implements Runner {
  private inst: ModuleInstance | null;
  readonly needs: number;
  readonly attrKeys: string[] | null;
  private readonly guard: Context | null;
  private job: (() => unknown) | null = null;
  constructor(
    private readonly mod: LoadedModule,
    private readonly opts: RunnerOptions & { timeBudgetMs?: number },
  ) {
    this.guard = (opts.timeBudgetMs ?? 0) > 0 ? createContext({ flowlog_call: () => this.job!() }) : null;
    this.inst = this.create();
    this.needs = this.inst.needs;
    this.attrKeys = this.inst.attrKeys;
  }
  async run(b: EncodedBatch): Promise<BatchResult> {
    return this.runSync(b);
  }
  runSync(b: EncodedBatch): BatchResult {
    try {
      const inst = (this.inst ??= this.create());
      const input = b.bytes.subarray(0, b.length);
      const r = this.guarded(() => inst.run(input, b.count), `on a ${b.count}-record batch`);
      return { statuses: r.statuses, output: r.output, input: r.input };
    } catch (e) {
      this.inst = null; // trapped or stopped mid-batch: the next batch gets a fresh instance
      throw e;
    }
  }
  /** Instantiates and initializes the module; flowlog_init runs under the budget too. */
  private create(): ModuleInstance {
    try {
      return this.guarded(() => new ModuleInstance(this.mod, this.opts.config, this.opts.maxPages, this.opts.log), 'in flowlog_init');
    } catch (e) {
      if (isFlowlogError(e) && e.code === 'FLOWLOG_TRANSFORM_TIMEOUT') throw new FlowlogError('TRANSFORM_LOAD', `${this.mod.source}: ${e.message}`, { cause: e });
      throw e;
    }
  }
  private guarded<T>(fn: () => T, where: string): T {
    if (!this.guard) return fn();
    this.job = fn;
    try {
      return GUARDED_CALL.runInContext(this.guard, { timeout: this.opts.timeBudgetMs }) as T;
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw e;
      throw new FlowlogError('TRANSFORM_TIMEOUT', `module exceeded its time budget of ${this.opts.timeBudgetMs} ms ${where}; stopped`, { cause: e });
    } finally {
      this.job = null;
    }
  }
  async close(): Promise<void> {
    this.inst = null;
  }
}

const WORKER_LOAD_LIMIT_MS = 30_000;

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
      // starting a thread takes time of its own: the load gets a generous limit, so a module whose
      // flowlog_init never returns is refused instead of hanging the transform
      const limit = Math.max(this.opts.timeBudgetMs, WORKER_LOAD_LIMIT_MS);
      const budget = setTimeout(() => {
        if (loaded) return;
        this.reset(w);
        void w.terminate();
        reject(new FlowlogError('TRANSFORM_LOAD', `${this.mod.source}: the worker did not finish loading the module (flowlog_init) within ${limit} ms; stopped`));
      }, limit);
      w.on('message', (m: FromWorker) => {
        if (m.t === 'log') return this.opts.log(m.level, m.msg);
        if (m.t === 'loaded') {
          loaded = true;
          clearTimeout(budget);
          this.needs = m.needs;
          this.attrKeys = m.attrKeys;
          return resolve();
        }
        if (m.t === 'error' && m.id === -1) return clearTimeout(budget), reject(new FlowlogError(m.code as ErrorCodeName, m.message));
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
