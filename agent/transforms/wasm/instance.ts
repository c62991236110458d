// One instantiated module with its own capped memory (the host creates the memory: the maximum is
// the memory cap). Runs one batch per call; any trap leaves the instance unusable (callers recreate).
import { FlowlogError } from '../../../core/errors.js';
import { ABI_VERSION, FLAG_BODY_IN_PLACE, type AbiExports } from './abi.js';
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

export class ModuleInstance {
  readonly needs: number;
  private readonly memory: WebAssembly.Memory;
  private readonly x: AbiExports;
  private logBudget = LOG_BURST;

  constructor(mod: LoadedModule, configJson: string, maxPages: number, log: ModuleLog) {
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
      instance = new WebAssembly.Instance(mod.module, { env: { memory: this.memory }, flowlog: { log: hostLog } });
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
  }

  private checkRange(ptr: number, len: number, what: string): void {
    if (!Number.isInteger(ptr) || ptr < 0 || len < 0 || ptr + len > this.memory.buffer.byteLength) {
      throw new FlowlogError('TRANSFORM_ABI', `module returned an out-of-range ${what} region (${ptr}+${len})`);
    }
  }

  /** Runs one batch of `count` encoded records (`input`). Throws TRANSFORM_TRAP / TRANSFORM_ABI. */
  run(input: Uint8Array, count: number): RawResult {
    this.logBudget = LOG_BURST;
    const x = this.x;
    let kept: number;
    let inPtr: number;
    try {
      inPtr = x.flowlog_input(input.length, count);
      this.checkRange(inPtr, input.length, 'input');
      new Uint8Array(this.memory.buffer, inPtr, input.length).set(input);
      kept = x.flowlog_process(count, input.length);
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
    const after = inPlace ? new Uint8Array(this.memory.buffer, inPtr, input.length).slice() : null;
    return { kept, statuses, output, input: after };
  }
}
