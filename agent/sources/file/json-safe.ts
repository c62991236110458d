// Marks the lines of a read chunk whose bytes can go into a JSON string as they are: no '"', no '\\',
// no control byte. The spool's NDJSON encoder then writes such a body without testing it again
// (core/codec.ts); a regex test cost ~140 ns for a 200-byte line, the SIMD kernel below ~0.1 ns a
// byte for the whole chunk. The kernel (transforms/kernels/json_scan.ts, built with the built-in
// transforms) is trusted code with no imports; without it nothing is marked and every body takes
// the regex test, which gives the same bytes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Line } from '../../../core/lines.js';
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

/** Sets `jsonSafe` on the lines cut from `chunk` that need no JSON escaping (any valid UTF-8 works: escapes are ASCII bytes). */
export function markJsonSafe(chunk: Buffer, lines: Line[]): void {
  if (lines.length === 0) return;
  const k = (kernel ??= load());
  if (k === null) return;
  const len = chunk.length;
  const at = k.input(len, MAX_POSITIONS);
  new Uint8Array(k.memory.buffer, at, len).set(chunk);
  const n = k.scan(len);
  if (n < 0) return;
  const pos = new Uint32Array(k.memory.buffer, k.output(), n);
  const base = chunk.byteOffset;
  let j = 0;
  for (const line of lines) {
    const b = line.bytes;
    // a line assembled across chunks is another buffer: left unmarked
    if (b.buffer !== chunk.buffer || b.byteOffset < base || b.byteOffset + b.length > base + len) continue;
    const s = b.byteOffset - base;
    while (j < n && pos[j]! < s) j++;
    line.jsonSafe = !(j < n && pos[j]! < s + b.length);
  }
}
