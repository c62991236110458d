// Runs batches through a module, on the calling thread (the default) or in a worker thread
// (`worker_thread: true`). Both enforce the per-batch time budget:
// - inline, the module runs metered (meter/): it counts loop iterations and calls, and every
//   FUEL_SLICE of them it asks the host's clock; past the deadline the host throws and the call
//   unwinds out of the module. The instance is discarded, as after a trap. Nothing runs beside the
//   call: no thread, no copy. A module the meter cannot rewrite (it uses tail calls, exceptions,
//   atomics or GC types) runs unmetered through a vm.Script with a `timeout` instead: Node starts a
//   watchdog thread per call, whose TerminateExecution stops WebAssembly at its next loop back-edge;
//   that costs ~50-75 us per call on an idle core and ~420 us when every core is busy.
// - in a worker, a runaway loop is stopped with worker.terminate() (~3 ms) and the worker respawned;
//   this moves the module's CPU off the pipeline thread, at the cost of a copy and a hop per batch.
// `time_budget_ms: 0` runs the unmetered module inline with no budget.
import { Script, createContext, type Context } from 'node:vm';
import { FlowlogError, isFlowlogError } from '../../../core/errors.js';
import type { BatchResult } from './decode.js';
import type { BatchEncoder, EncodedBatch } from './encode.js';
import type { LogEvent } from '../../../core/event.js';
import { BudgetClock, ModuleInstance, type ModuleLog, type RawResult } from './instance.js';
import type { LoadedModule } from './module-cache.js';

export interface Runner {
  /** The module's flowlog_needs bits (after init). */
  readonly needs: number;
  /** The attribute keys it reads, with NEEDS_SELECTED_ATTRIBUTES. */
  readonly attrKeys: string[] | null;
  run(batch: EncodedBatch): Promise<BatchResult>;
  /** Encodes and runs in one step, where the runner can encode straight into module memory. */
  runEvents?(events: readonly LogEvent[], encoder: BatchEncoder): Promise<BatchResult>;
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
  /** Set when the module runs metered under a budget. */
  private readonly clock: BudgetClock | null;
  /** The watchdog context, for a budget on a module the meter refused. */
  private readonly guard: Context | null;
  private job: (() => unknown) | null = null;
  constructor(
    private readonly mod: LoadedModule,
    private readonly opts: RunnerOptions & { timeBudgetMs?: number },
  ) {
    const budgeted = (opts.timeBudgetMs ?? 0) > 0;
    this.clock = budgeted && mod.metered ? new BudgetClock() : null;
    this.guard = budgeted && !mod.metered ? createContext({ flowlog_call: () => this.job!() }) : null;
    this.inst = this.create();
    this.needs = this.inst.needs;
    this.attrKeys = this.inst.attrKeys;
  }
  async run(b: EncodedBatch): Promise<BatchResult> {
    return this.runSync(b);
  }
  runSync(b: EncodedBatch): BatchResult {
    const input = b.bytes.subarray(b.offset, b.offset + b.length);
    return this.runInstance((inst) => inst.run(input, b.count), b.count);
  }
  async runEvents(events: readonly LogEvent[], encoder: BatchEncoder): Promise<BatchResult> {
    return this.runEventsSync(events, encoder);
  }
  /** The batch is encoded straight into the module's memory: no second copy of it. */
  runEventsSync(events: readonly LogEvent[], encoder: BatchEncoder): BatchResult {
    return this.runInstance((inst) => inst.runWith((target) => encoder.encode(events, this.needs, this.attrKeys, target)), events.length);
  }
  private runInstance(call: (inst: ModuleInstance) => RawResult, count: number): BatchResult {
    try {
      const inst = (this.inst ??= this.create());
      const r = this.guarded(() => call(inst), `on a ${count}-record batch`);
      return { statuses: r.statuses, output: r.output, input: r.input };
    } catch (e) {
      this.inst = null; // trapped or stopped mid-batch: the next batch gets a fresh instance
      throw e;
    }
  }
  /** Instantiates and initializes the module; flowlog_init runs under the budget too. */
  private create(): ModuleInstance {
    try {
      return this.guarded(() => new ModuleInstance(this.mod, this.opts.config, this.opts.maxPages, this.opts.log, this.clock), 'in flowlog_init');
    } catch (e) {
      if (isFlowlogError(e) && e.code === 'FLOWLOG_TRANSFORM_TIMEOUT') throw new FlowlogError('TRANSFORM_LOAD', `${this.mod.source}: ${e.message}`, { cause: e });
      throw e;
    }
  }
  private guarded<T>(fn: () => T, where: string): T {
    if (this.clock) return this.metered(this.clock, fn, where);
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
  private metered<T>(clock: BudgetClock, fn: () => T, where: string): T {
    clock.deadline = performance.now() + this.opts.timeBudgetMs!;
    try {
      return fn();
    } catch (e) {
      const timedOut = isFlowlogError(e) && (e.code === 'FLOWLOG_TRANSFORM_TIMEOUT' || (isFlowlogError(e.cause) && e.cause.code === 'FLOWLOG_TRANSFORM_TIMEOUT'));
      if (!timedOut) throw e;
      throw new FlowlogError('TRANSFORM_TIMEOUT', `module exceeded its time budget of ${this.opts.timeBudgetMs} ms ${where}; stopped`, { cause: e });
    } finally {
      clock.deadline = Infinity;
    }
  }
  async close(): Promise<void> {
    this.inst = null;
  }
}
