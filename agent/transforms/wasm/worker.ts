// The worker thread that runs a transform module (runner.ts starts it). Batches arrive as transferred
// buffers; results go back the same way. A runaway module is stopped by the parent terminating this
// thread; a trap is answered with an error and the instance is recreated here.
import { parentPort } from 'node:worker_threads';
import { FlowlogError } from '../../../core/errors.js';
import { ModuleInstance } from './instance.js';
import type { LoadedModule } from './module-cache.js';

export type ToWorker =
  | { t: 'load'; module: WebAssembly.Module; source: string; minPages: number; config: string; maxPages: number }
  | { t: 'run'; id: number; input: Uint8Array; count: number };

export type FromWorker =
  | { t: 'loaded'; needs: number; attrKeys: string[] | null }
  | { t: 'done'; id: number; kept: number; statuses: Uint8Array; output: Uint8Array; input: Uint8Array | null }
  | { t: 'error'; id: number; code: string; message: string }
  | { t: 'log'; level: number; msg: string };

const port = parentPort!;
let inst: ModuleInstance | null = null;
let make: (() => ModuleInstance) | null = null;

const codeOf = (e: unknown) => (e instanceof FlowlogError ? e.code.replace(/^FLOWLOG_/, '') : 'TRANSFORM_TRAP');

port.on('message', (m: ToWorker) => {
  if (m.t === 'load') {
    const mod: LoadedModule = { module: m.module, metered: null, sha256: '', minPages: m.minPages, source: m.source };
    make = () => new ModuleInstance(mod, m.config, m.maxPages, (level, msg) => port.postMessage({ t: 'log', level, msg } satisfies FromWorker));
    try {
      inst = make();
      port.postMessage({ t: 'loaded', needs: inst.needs, attrKeys: inst.attrKeys } satisfies FromWorker);
    } catch (e) {
      port.postMessage({ t: 'error', id: -1, code: codeOf(e), message: (e as Error).message } satisfies FromWorker);
    }
    return;
  }
  try {
    if (!inst) inst = make!();
    const r = inst.run(m.input, m.count);
    const transfer = [r.statuses.buffer, r.output.buffer] as ArrayBuffer[];
    if (r.input) transfer.push(r.input.buffer as ArrayBuffer);
    port.postMessage({ t: 'done', id: m.id, kept: r.kept, statuses: r.statuses, output: r.output, input: r.input } satisfies FromWorker, transfer);
  } catch (e) {
    inst = null; // a trapped instance is not reused: the next batch gets a fresh one
    port.postMessage({ t: 'error', id: m.id, code: codeOf(e), message: (e as Error).message } satisfies FromWorker);
  }
});
