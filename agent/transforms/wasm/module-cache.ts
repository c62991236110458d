// Loads and checks a transform module: valid WebAssembly, pinned sha256 (when configured), only the
// allowed imports (its memory and flowlog.log: no WASI, no filesystem, no network), every ABI export
// present. Compiled modules are cached by content hash, so reloads and respawns never recompile.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FlowlogError } from '../../../core/errors.js';
import { ALLOWED_IMPORTS, REQUIRED_EXPORTS, importedMemoryMinimum } from './abi.js';
import { MeterRefused, meterModule } from './meter/index.js';

export interface LoadedModule {
  module: WebAssembly.Module;
  /**
   * The same module counting its own progress (meter/): what runs inline under a time budget.
   * Null when the meter does not know something the module uses; it then runs under the watchdog.
   */
  metered: WebAssembly.Module | null;
  /** Why the module could not be metered. */
  meterRefusal?: string;
  sha256: string;
  /** Pages the module's imported memory needs at least. */
  minPages: number;
  /** Where it came from (file path or a label), for errors. */
  source: string;
}

const cache = new Map<string, LoadedModule>();
const MAX_CACHE = 64;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Validates and compiles module bytes; throws FLOWLOG_TRANSFORM_LOAD with what to fix. */
export function loadModuleBytes(bytes: Uint8Array, source: string, pinned?: string): LoadedModule {
  const hash = sha256Hex(bytes);
  if (pinned !== undefined && pinned.toLowerCase() !== hash) {
    throw new FlowlogError('TRANSFORM_LOAD', `${source}: sha256 is ${hash}, the config pins ${pinned.toLowerCase()}; rebuild or update sha256`, {
      details: { source },
    });
  }
  const hit = cache.get(hash);
  if (hit) return { ...hit, source };
  if (!WebAssembly.validate(bytes)) {
    throw new FlowlogError('TRANSFORM_LOAD', `${source}: not a valid WebAssembly module (${bytes.length} bytes; truncated or still being written?)`);
  }
  const module = new WebAssembly.Module(bytes);
  for (const imp of WebAssembly.Module.imports(module)) {
    const key = `${imp.module}.${imp.name}:${imp.kind}`;
    if (!ALLOWED_IMPORTS.has(key)) {
      throw new FlowlogError(
        'TRANSFORM_LOAD',
        `${source}: imports ${imp.module}.${imp.name} (${imp.kind}); transforms may only import env.memory, flowlog.log and env.abort (no WASI, files or network). ` +
          'Build with `flowlog transform build`',
      );
    }
  }
  const imports = WebAssembly.Module.imports(module);
  if (!imports.some((i) => i.kind === 'memory')) {
    throw new FlowlogError('TRANSFORM_LOAD', `${source}: must import its memory as env.memory (asc --importMemory) so the agent can cap it`);
  }
  const exported = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const missing = REQUIRED_EXPORTS.filter((n) => !exported.has(n));
  if (missing.length > 0) {
    throw new FlowlogError('TRANSFORM_LOAD', `${source}: missing ABI exports ${missing.join(', ')}; add \`export * from "<sdk>/exports"\` to the transform`);
  }
  let metered: WebAssembly.Module | null = null;
  let meterRefusal: string | undefined;
  try {
    metered = new WebAssembly.Module(meterModule(bytes));
  } catch (e) {
    if (!(e instanceof MeterRefused)) throw e;
    meterRefusal = e.message;
  }
  const loaded: LoadedModule = { module, metered, meterRefusal, sha256: hash, minPages: importedMemoryMinimum(bytes) ?? 1, source };
  if (cache.size >= MAX_CACHE) cache.delete(cache.keys().next().value!);
  cache.set(hash, loaded);
  return loaded;
}

export function loadModuleFile(path: string, pinned?: string): LoadedModule {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new FlowlogError('TRANSFORM_LOAD', `cannot read transform module ${path}: ${(e as Error).message}`, { cause: e });
  }
  return loadModuleBytes(bytes, path, pinned);
}
