// Finds, in a read chunk, the bytes a JSON string must escape: '"', '\\', control bytes. Lines
// without any are marked (chunk-lines.ts) and the spool's NDJSON encoder writes such a body without
// testing it again (core/codec.ts); a regex test cost ~140 ns for a 200-byte line, the SIMD kernel
// below ~0.08 ns a byte of the chunk (measured). The kernel (transforms/kernels/json_scan.ts, built
// with the built-in transforms) is trusted code with no imports; without it nothing is marked and
// every body takes the regex test, which gives the same bytes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinDir } from '../../transforms/wasm/builtins.js';

interface Kernel {
  memory: WebAssembly.Memory;
  input(bytes: number, positions: number): number;
  output(): number;
  scan(len: number): number;
}

/** Positions the kernel may report per chunk; a chunk with more marks none of its lines. */
const MAX_POSITIONS = 8192;

let kernel: Kernel | null | undefined;

function load(): Kernel | null {
  try {
    const bytes = readFileSync(join(builtinDir(), 'kernels', 'json_scan.wasm'));
    return new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as Kernel;
  } catch {
    return null;
  }
}

/**
 * Offsets in `chunk` of the bytes a JSON string must escape, ascending: a view into the kernel's
 * memory, valid until the next call. Null without the kernel, or when a chunk holds more than
 * MAX_POSITIONS of them (nothing is then known to be safe).
 */
export function escapePositions(chunk: Buffer): Uint32Array | null {
  const k = (kernel ??= load());
  if (k === null) return null;
  const len = chunk.length;
  const at = k.input(len, MAX_POSITIONS);
  new Uint8Array(k.memory.buffer, at, len).set(chunk);
  const n = k.scan(len);
  return n < 0 ? null : new Uint32Array(k.memory.buffer, k.output(), n);
}
