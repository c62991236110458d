// Byte slices and SIMD search helpers. Everything here works on raw memory (ptr, len): no strings
// are decoded on the hot path (AssemblyScript string code is ~20x slower than byte kernels).

/** A view of bytes in module memory. `keep` holds the backing buffer alive when the slice owns one. */
export class Slice {
  ptr: usize = 0;
  len: i32 = 0;
  keep: ArrayBuffer | null = null;

  static of(ptr: usize, len: i32): Slice {
    const s = new Slice();
    s.ptr = ptr;
    s.len = len;
    return s;
  }

  /** The UTF-8 bytes of a string (allocates once; use at init). */
  static from(str: string): Slice {
    const s = new Slice();
    const buf = String.UTF8.encode(str);
    s.keep = buf;
    s.ptr = changetype<usize>(buf);
    s.len = buf.byteLength;
    return s;
  }

  @inline byte(i: i32): u8 {
    return load<u8>(this.ptr + <usize>i);
  }

  equals(ptr: usize, len: i32): bool {
    return len == this.len && (len == 0 || memory.compare(ptr, this.ptr, <usize>len) == 0);
  }

  toString(): string {
    return String.UTF8.decodeUnsafe(this.ptr, <usize>this.len);
  }
}

/** Bytes equal. */
@inline
export function bytesEqual(a: usize, al: i32, b: usize, bl: i32): bool {
  return al == bl && (al == 0 || memory.compare(a, b, <usize>al) == 0);
}

/** `a` starts with `b`. */
@inline
export function startsWith(a: usize, al: i32, b: usize, bl: i32): bool {
  return bl <= al && (bl == 0 || memory.compare(a, b, <usize>bl) == 0);
}

/** Index of byte `b` in [ptr+from, ptr+len), or -1 (SIMD, 16 bytes per step). */
export function findByte(ptr: usize, len: i32, b: u8, from: i32 = 0): i32 {
  let i = from;
  const splat = i8x16.splat(b);
  while (i + 16 <= len) {
    const m = i8x16.bitmask(i8x16.eq(v128.load(ptr + <usize>i), splat));
    if (m != 0) return i + <i32>ctz(m);
    i += 16;
  }
  while (i < len) {
    if (load<u8>(ptr + <usize>i) == b) return i;
    i++;
  }
  return -1;
}

/**
 * Index of `needle` in `hay` starting at `from`, or -1. SIMD: compares the needle's first and last
 * byte against 16 candidate positions at once, then confirms candidates with memory.compare.
 */
export function find(hay: usize, hayLen: i32, needle: usize, needleLen: i32, from: i32 = 0): i32 {
  if (needleLen == 0) return from <= hayLen ? from : -1;
  const end = hayLen - needleLen; // last valid start
  if (from > end) return -1;
  if (needleLen == 1) return findByte(hay, hayLen, load<u8>(needle), from);
  const first = i8x16.splat(load<u8>(needle));
  const last = i8x16.splat(load<u8>(needle + <usize>(needleLen - 1)));
  let i = from;
  while (i + 15 <= end) {
    // 32 candidate positions per step while none of them matches both ends (the common case): half
    // the loop overhead, and half the time-budget checks a metered module makes per byte
    while (i + 31 <= end) {
      const p = hay + <usize>i;
      const q = p + <usize>(needleLen - 1);
      const x = v128.or(
        v128.and(i8x16.eq(v128.load(p), first), i8x16.eq(v128.load(q), last)),
        v128.and(i8x16.eq(v128.load(p, 16), first), i8x16.eq(v128.load(q, 16), last)),
      );
      if (v128.any_true(x)) break;
      i += 32;
    }
    if (i + 15 > end) break;
    const a = v128.load(hay + <usize>i);
    const b = v128.load(hay + <usize>(i + needleLen - 1));
    let m = i8x16.bitmask(v128.and(i8x16.eq(a, first), i8x16.eq(b, last)));
    while (m != 0) {
      const bit = <i32>ctz(m);
      if (needleLen <= 2 || memory.compare(hay + <usize>(i + bit + 1), needle + 1, <usize>(needleLen - 2)) == 0) return i + bit;
      m &= m - 1;
    }
    i += 16;
  }
  const f = load<u8>(needle);
  while (i <= end) {
    if (load<u8>(hay + <usize>i) == f && memory.compare(hay + <usize>i, needle, <usize>needleLen) == 0) return i;
    i++;
  }
  return -1;
}

/** Whether `needle` occurs in `hay`. */
@inline
export function contains(hay: usize, hayLen: i32, needle: Slice): bool {
  return find(hay, hayLen, needle.ptr, needle.len, 0) >= 0;
}

/** FNV-1a 32-bit hash of bytes (deterministic sampling). */
export function fnv1a(ptr: usize, len: i32): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i = 0; i < len; i++) {
    h ^= <u32>load<u8>(ptr + <usize>i);
    h *= 0x01000193;
  }
  return h;
}

/** Fills [ptr, ptr+len) with byte `b` (length-preserving masks). */
@inline
export function fill(ptr: usize, len: i32, b: u8): void {
  memory.fill(ptr, b, <usize>len);
}
