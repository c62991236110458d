// One instantiated module with its own capped memory (the host creates the memory: the maximum is
// the memory cap). Runs one batch per call; any trap leaves the instance unusable (callers recreate).
import { FlowlogError, isFlowlogError } from '../../../core/errors.js';
import { ABI_VERSION, FLAG_BODY_IN_PLACE, NEEDS_SELECTED_ATTRIBUTES, type AbiExports } from './abi.js';
import { METER_MODULE, METER_TICK } from './meter/index.js';
import type { EncodeTarget, EncodedBatch } from './encode.js';
import type { LoadedModule } from './module-cache.js';

export type ModuleLog = (level: number, msg: string) => void;

export interface RawResult {
  kept: number;
  statuses: Uint8Array;
  output: Uint8Array;
  /** A copy of the input bytes after the call, when a record's body was edited in place. */
  input: Uint8Array | null;
}

const LOG_BURST = 100;

/** Loop iterations and calls a metered module runs between two looks at the clock. */
export const FUEL_SLICE = 10_000;

/**
 * The clock a metered module checks (through its tick import) every FUEL_SLICE loop iterations
 * and calls: past the deadline, tick throws and the call unwinds out of the module.
 */
export class BudgetClock {
  deadline = Infinity;
  readonly tick = (): number => {
    if (performance.now() > this.deadline) throw new FlowlogError('TRANSFORM_TIMEOUT', 'module exceeded its time budget');
    return FUEL_SLICE;
  };
}

/** AssemblyScript strings: UTF-16LE, byte length in the u32 before the data. */
function asString(memory: WebAssembly.Memory, ptr: number): string {
  const buf = memory.buffer;
  if (ptr < 4 || ptr > buf.byteLength) return '';
  const len = new DataView(buf).getUint32(ptr - 4, true);
  if (ptr + len > buf.byteLength) return '';
  return Buffer.from(buf, ptr, Math.min(len, 8192)).toString('utf16le');
}

/** AssemblyScript's env.abort: log the message and trap (the batch is then handled by on_error). */
function hostAbort(memory: WebAssembly.Memory, log: ModuleLog) {
  return (msg: number, file: number, line: number, col: number) => {
    const text = `abort: ${asString(memory, msg)} at ${asString(memory, file)}:${line}:${col}`;
    log(3, text);
    throw new WebAssembly.RuntimeError(text);
  };
}

/**
 * Instantiates the module once with a fresh memory and checks its ABI version (load-time refusal).
 * With a budget, the metered module runs (a start function or a version export that never returns
 * is stopped, not a hung agent).
 */
export function checkAbiVersion(mod: LoadedModule, maxPages: number, budgetMs = 0): void {
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.min(mod.minPages, maxPages)), maximum: Math.max(maxPages, mod.minPages) });
  const clock = budgetMs > 0 && mod.metered ? new BudgetClock() : null;
  let version: number;
  try {
    const imports: WebAssembly.Imports = { env: { memory, abort: () => undefined }, flowlog: { log: () => undefined } };
    if (clock) {
      imports[METER_MODULE] = { [METER_TICK]: clock.tick };
      clock.deadline = performance.now() + budgetMs;
    }
    const inst = new WebAssembly.Instance(clock ? mod.metered! : mod.module, imports);
    version = (inst.exports as unknown as AbiExports).flowlog_abi_version();
  } catch (e) {
    const why = isFlowlogError(e) && e.code === 'FLOWLOG_TRANSFORM_TIMEOUT' ? `did not finish within its time budget of ${budgetMs} ms` : (e as Error).message;
    throw new FlowlogError('TRANSFORM_LOAD', `${mod.source}: instantiation failed: ${why}`, { cause: e });
  }
  if (version !== ABI_VERSION) {
    throw new FlowlogError('TRANSFORM_LOAD', `${mod.source}: ABI version ${version}, this agent supports ${ABI_VERSION}; rebuild it with this flowlog's SDK`);
  }
}

export class ModuleInstance {
  readonly needs: number;
  /** With NEEDS_SELECTED_ATTRIBUTES: the attribute keys the module reads. */
  readonly attrKeys: string[] | null = null;
  private readonly memory: WebAssembly.Memory;
  private readonly x: AbiExports;
  private logBudget = LOG_BURST;

  /** With `clock`, the metered module runs (mod.metered must be set) and checks that clock. */
  constructor(mod: LoadedModule, configJson: string, maxPages: number, log: ModuleLog, clock: BudgetClock | null = null) {
    if (mod.minPages > maxPages) {
      throw new FlowlogError('TRANSFORM_LOAD', `${mod.source}: needs ${mod.minPages} memory pages, max_memory_pages is ${maxPages}`);
    }
    this.memory = new WebAssembly.Memory({ initial: Math.max(1, mod.minPages), maximum: maxPages });
    const hostLog = (level: number, ptr: number, len: number) => {
      if (this.logBudget <= 0) return;
      this.logBudget--;
      const buf = this.memory.buffer;
      if (ptr < 0 || len < 0 || ptr + len > buf.byteLength) return;
      log(level, Buffer.from(buf, ptr, Math.min(len, 4096)).toString('utf8'));
    };
    let instance: WebAssembly.Instance;
    try {
      const imports: WebAssembly.Imports = { env: { memory: this.memory, abort: hostAbort(this.memory, log) }, flowlog: { log: hostLog } };
      if (clock) imports[METER_MODULE] = { [METER_TICK]: clock.tick };
      instance = new WebAssembly.Instance(clock ? mod.metered! : mod.module, imports);
    } catch (e) {
      throw new FlowlogError('TRANSFORM_LOAD', `${mod.source}: instantiation failed: ${(e as Error).message}`, { cause: e });
    }
    this.x = instance.exports as unknown as AbiExports;
    const version = this.x.flowlog_abi_version();
    if (version !== ABI_VERSION) {
      throw new FlowlogError('TRANSFORM_LOAD', `${mod.source}: ABI version ${version}, this agent supports ${ABI_VERSION}; rebuild it with this flowlog's SDK`);
    }
    const cfg = Buffer.from(configJson, 'utf8');
    try {
      const ptr = this.x.flowlog_input(cfg.length, 0);
      this.checkRange(ptr, cfg.length, 'config');
      new Uint8Array(this.memory.buffer, ptr, cfg.length).set(cfg);
      const rc = this.x.flowlog_init(ptr, cfg.length);
      if (rc !== 0) throw new FlowlogError('TRANSFORM_LOAD', `${mod.source}: flowlog_init refused the config (code ${rc}); see the module's log lines`);
    } catch (e) {
      if (e instanceof FlowlogError) throw e;
      throw new FlowlogError('TRANSFORM_LOAD', `${mod.source}: flowlog_init trapped: ${(e as Error).message}`, { cause: e });
    }
    this.needs = this.x.flowlog_needs();
    if ((this.needs & NEEDS_SELECTED_ATTRIBUTES) !== 0) this.attrKeys = this.readKeys(mod.source);
  }

  private readKeys(source: string): string[] {
    if (typeof this.x.flowlog_attr_keys !== 'function') {
      throw new FlowlogError('TRANSFORM_LOAD', `${source}: declares NEEDS_SELECTED_ATTRIBUTES but does not export flowlog_attr_keys`);
    }
    const ptr = this.x.flowlog_attr_keys();
    this.checkRange(ptr, 4, 'attribute key list');
    const b = Buffer.from(this.memory.buffer);
    const n = b.readUInt32LE(ptr);
    const keys: string[] = [];
    let p = ptr + 4;
    for (let i = 0; i < n; i++) {
      this.checkRange(p, 2, 'attribute key list');
      const l = b.readUInt16LE(p);
      this.checkRange(p + 2, l, 'attribute key list');
      keys.push(b.toString('utf8', p + 2, p + 2 + l));
      p += 2 + l;
    }
    return keys;
  }

  private checkRange(ptr: number, len: number, what: string): void {
    if (!Number.isInteger(ptr) || ptr < 0 || len < 0 || ptr + len > this.memory.buffer.byteLength) {
      throw new FlowlogError('TRANSFORM_ABI', `module returned an out-of-range ${what} region (${ptr}+${len})`);
    }
  }

  /** Runs one batch of `count` encoded records (`input`). Throws TRANSFORM_TRAP / TRANSFORM_ABI. */
  run(input: Uint8Array, count: number): RawResult {
    return this.runWith((t) => {
      const { buffer, base } = t.reserve(input.length, count);
      const mem = new Uint8Array(buffer);
      mem.set(input, base);
      return { bytes: mem, offset: base, length: input.length, count };
    });
  }

  /**
   * Runs one batch that `encode` writes straight into module memory (the target it is given), so
   * the batch is not copied a second time. Throws TRANSFORM_TRAP / TRANSFORM_ABI.
   */
  runWith(encode: (target: EncodeTarget) => EncodedBatch): RawResult {
    this.logBudget = LOG_BURST;
    const x = this.x;
    let inPtr = -1;
    const target: EncodeTarget = {
      reserve: (bytes, count) => {
        try {
          inPtr = x.flowlog_input(bytes, count);
        } catch (e) {
          if (e instanceof FlowlogError) throw e;
          throw new FlowlogError('TRANSFORM_TRAP', `module trapped: ${(e as Error).message}`, { cause: e });
        }
        this.checkRange(inPtr, bytes, 'input');
        return { buffer: this.memory.buffer, base: inPtr };
      },
    };
    const b = encode(target);
    if (inPtr < 0) throw new FlowlogError('TRANSFORM_ABI', 'the encoder did not reserve the input region');
    if (b.bytes.buffer !== this.memory.buffer || b.offset !== inPtr) {
      // encoded elsewhere (an unaligned region): copy it in
      new Uint8Array(this.memory.buffer, inPtr, b.length).set(b.bytes.subarray(b.offset, b.offset + b.length));
    }
    const count = b.count;
    let kept: number;
    try {
      kept = x.flowlog_process(count, b.length);
    } catch (e) {
      if (e instanceof FlowlogError) throw e;
      throw new FlowlogError('TRANSFORM_TRAP', `module trapped: ${(e as Error).message}`, { cause: e });
    }
    if (kept < 0 || kept > count) throw new FlowlogError('TRANSFORM_ABI', `flowlog_process returned ${kept} for ${count} records`);
    // memory.grow detaches views: take them only now
    const st = x.flowlog_statuses();
    this.checkRange(st, count, 'status');
    const statuses = new Uint8Array(this.memory.buffer, st, count).slice();
    const outLen = x.flowlog_output_len();
    const outPtr = outLen > 0 ? x.flowlog_output() : 0;
    this.checkRange(outPtr, outLen, 'output');
    const output = new Uint8Array(this.memory.buffer, outPtr, outLen).slice();
    let inPlace = false;
    for (let i = 0; i < count; i++) {
      if ((statuses[i]! & FLAG_BODY_IN_PLACE) !== 0) {
        inPlace = true;
        break;
      }
    }
    const after = inPlace ? new Uint8Array(this.memory.buffer, inPtr, b.length).slice() : null;
    return { kept, statuses, output, input: after };
  }
}
