// Runs batches through a module, on the calling thread (the default) or in a worker thread
// (`worker_thread: true`). Both enforce the per-batch time budget:
// - inline, the call goes through a vm.Script with a `timeout`: Node's watchdog thread calls V8's
//   TerminateExecution, which stops WebAssembly at its next loop back-edge (measured: a `loop br 0`
//   stopped at 50.7 ms for a 50 ms budget). The instance is discarded, as after a trap. No copy of
//   the batch, but Node starts and joins a watchdog thread per call: ~50-75 us on an idle core,
//   ~420 us when every core is busy (docs/transforms.md), once per batch of up to 4096 records.
// - in a worker, a runaway loop is stopped with worker.terminate() (~3 ms) and the worker respawned;
//   this moves the module's CPU off the pipeline thread, at the cost of a copy and a hop per batch.
// `time_budget_ms: 0` runs inline without a watchdog.
import { Script, createContext, type Context } from 'node:vm';
import { FlowlogError, isFlowlogError } from '../../../core/errors.js';
import type { BatchResult } from './decode.js';
import type { EncodedBatch } from './encode.js';
import { ModuleInstance, type ModuleLog } from './instance.js';
import type { LoadedModule } from './module-cache.js';

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
