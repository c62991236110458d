// A host-side kernel (not a transform; trusted, built with the agent): finds the bytes a JSON string
// must escape — '"', '\\' and controls below 0x20 other than '\n' (lines are cut at '\n') — in a
// read chunk, 16 bytes per SIMD step. The file source uses it to mark the lines whose bodies can be
// written into NDJSON as they are (core/codec.ts), instead of testing every body with a regex.
// No imports; its own memory: from BASE the chunk, then the u32 positions found.

const BASE: usize = (__heap_base + 15) & ~15; // past the module's static data
let inCap: usize = 0;
let outCap: i32 = 0;

function ensure(bytes: usize, positions: i32): void {
  bytes = (bytes + 15) & ~15; // the positions stay aligned
  const need = BASE + bytes + (<usize>positions << 2);
  const have = <usize>memory.size() << 16;
  if (need > have) memory.grow(<i32>((need - have + 0xffff) >> 16));
  inCap = bytes;
  outCap = positions;
}

/** Room for a chunk of `bytes` and up to `positions` results; returns where the chunk goes. */
export function input(bytes: i32, positions: i32): usize {
  ensure(<usize>bytes, positions);
  return BASE;
}

/** Where the positions are written. */
export function output(): usize {
  return BASE + inCap;
}

/**
 * Scans [0, len) of the chunk; writes the positions of bytes to escape (at most the room reserved by
 * input()) and returns how many it found, or -1 when there were more than that room.
 */
export function scan(len: i32): i32 {
  const p = BASE;
  const out = BASE + inCap;
  const nl = i8x16.splat(10);
  const quote = i8x16.splat(34);
  const bs = i8x16.splat(92);
  const ctl = i8x16.splat(0x20);
  let n = 0;
  let i = 0;
  while (i + 16 <= len) {
    const v = v128.load(p + <usize>i);
    const bad = v128.or(v128.andnot(i8x16.lt_u(v, ctl), i8x16.eq(v, nl)), v128.or(i8x16.eq(v, quote), i8x16.eq(v, bs)));
    let m = i8x16.bitmask(bad);
    while (m != 0) {
      if (n == outCap) return -1;
      store<u32>(out + (<usize>n << 2), <u32>(i + <i32>ctz(m)));
      n++;
      m &= m - 1;
    }
    i += 16;
  }
  for (; i < len; i++) {
    const c = load<u8>(p + <usize>i);
    if ((c < 0x20 && c != 10) || c == 34 || c == 92) {
      if (n == outCap) return -1;
      store<u32>(out + (<usize>n << 2), <u32>i);
      n++;
    }
  }
  return n;
}
