// Builds a Component Model transform from an AssemblyScript core module (world
// flowlog:transform/transform in transforms/wit): the core module's `flowlog.log` import is renamed
// to the world's `log` ($root), then jco's programmatic componentEmbed + componentNew wrap it.
// (jco 1.35.0's CLI `embed` cannot open WIT paths; the programmatic API takes the WIT text.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlowlogError } from '../../../core/errors.js';
import { sdkDir } from '../wasm/compile.js';

export const WIT_WORLD = 'transform';

export function witSource(): string {
  return readFileSync(join(sdkDir(), '..', 'wit', 'transform.wit'), 'utf8');
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Rewrites import names in a core module's import section (module.name → module.name). */
export function renameImports(bytes: Uint8Array, map: Record<string, [string, string]>): Uint8Array {
  let pos = 8;
  const readU32 = (): number => {
    let r = 0;
    let s = 0;
    for (;;) {
      const b = bytes[pos++]!;
      r |= (b & 0x7f) << s;
      if ((b & 0x80) === 0) return r >>> 0;
      s += 7;
    }
  };
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  while (pos < bytes.length) {
    const secStart = pos;
    const id = bytes[pos++]!;
    const size = readU32();
    const bodyStart = pos;
    if (id !== 2) {
      pos = bodyStart + size;
      continue;
    }
    const count = readU32();
    const body: number[] = [...leb(count)];
    for (let i = 0; i < count; i++) {
      const ml = readU32();
      const mod = dec.decode(bytes.subarray(pos, pos + ml));
      pos += ml;
      const nl = readU32();
      const name = dec.decode(bytes.subarray(pos, pos + nl));
      pos += nl;
      const descStart = pos;
      const kind = bytes[pos++]!;
      if (kind === 0) readU32();
      else if (kind === 1) {
        pos++;
        const f = bytes[pos++]!;
        readU32();
        if (f & 1) readU32();
      } else if (kind === 2) {
        const f = bytes[pos++]!;
        readU32();
        if (f & 1) readU32();
      } else if (kind === 3) pos += 2;
      const [m2, n2] = map[`${mod}.${name}`] ?? [mod, name];
      const mb = enc.encode(m2);
      const nb = enc.encode(n2);
      body.push(...leb(mb.length), ...mb, ...leb(nb.length), ...nb, ...bytes.subarray(descStart, pos));
    }
    const sec = [2, ...leb(body.length), ...body];
    const out = new Uint8Array(secStart + sec.length + (bytes.length - (bodyStart + size)));
    out.set(bytes.subarray(0, secStart), 0);
    out.set(sec, secStart);
    out.set(bytes.subarray(bodyStart + size), secStart + sec.length);
    return out;
  }
  return bytes;
}

/** A component from a core module built with the component glue (transforms/sdk/component.ts). */
export async function componentFromCore(core: Uint8Array): Promise<Uint8Array> {
  const jco = (await import('@bytecodealliance/jco')) as unknown as {
    componentEmbed(o: { binary: Uint8Array; witSource: string; world: string }): Promise<Uint8Array>;
    componentNew(b: Uint8Array): Promise<Uint8Array>;
  };
  try {
    const renamed = renameImports(core, { 'flowlog.log': ['$root', 'log'] });
    const embedded = await jco.componentEmbed({ binary: renamed, witSource: witSource(), world: WIT_WORLD });
    return await jco.componentNew(embedded);
  } catch (e) {
    throw new FlowlogError('TRANSFORM_LOAD', `cannot make a component: ${(e as Error).message ?? String(e)}`, { cause: e });
  }
}
