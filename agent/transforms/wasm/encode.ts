// Encodes a batch of LogEvents into the ABI v1 input region (abi.ts): fixed-size record headers and
// attribute entries filled through typed arrays. When every body still has the bytes it was read
// from (line sources, core/event.ts hasRawBody), the bodies are copied as bytes, one copy per run of
// adjacent lines of a read chunk; otherwise the body strings are written with ONE utf8 write of
// their joined text when ASCII (the common case), per string otherwise. Attribute keys and values
// follow, each distinct string once per batch (entries point at it), written the same way. Only
// what the module declared it needs (flowlog_needs) is encoded: the body, all attributes, or just
// the attributes it named.
import { hasRawBody, type AttrValue, type LogEvent } from '../../../core/event.js';
import {
  ATTR_ENTRY_BYTES,
  BATCH_HEADER_BYTES,
  NEEDS_ATTRIBUTES,
  NEEDS_BODY,
  NEEDS_SELECTED_ATTRIBUTES,
  RECORD_HEADER_BYTES,
  T_BOOL,
  T_NUMBER,
  T_STRING,
} from './abi.js';
import { utf8Write } from './utf8-write.js';

export interface EncodedBatch {
  /** The encoded region: bytes [offset, offset + length) of `bytes`. */
  bytes: Uint8Array;
  /** 0 in the encoder's own buffer; the region's address in module memory when encoded into it. */
  offset: number;
  length: number;
  count: number;
}

/**
 * Where to encode instead of the encoder's own buffer: module memory, so the batch needs no second
 * copy. `reserve` returns the memory and the (4-byte aligned) address of at least `bytes` bytes.
 */
export interface EncodeTarget {
  reserve(bytes: number, count: number): { buffer: ArrayBufferLike; base: number };
}

const MAX_KEY_CHARS = 0xffff / 3;
/** Attribute strings remembered per position in a record (and positions remembered): see intern(). */
const WAYS = 4;
const MAX_SLOTS = 64;

/**
 * Bytes between two lines that still count as adjacent: '\n' or '\r\n', checked, so a run copies
 * nothing but its lines and their line ends (a module never sees bytes of another read).
 */
const MAX_GAP = 2;
const isLineEnd = (v: Uint8Array, from: number, to: number): boolean => {
  for (let i = from; i < to; i++) if (v[i] !== 10 && v[i] !== 13) return false;
  return true;
};

/** The header's severity byte: 1-255, else 0 (unset). */
const sevByte = (sev: number): number => (sev > 0 && sev < 256 ? sev : 0);

export class BatchEncoder {
  private ab = new ArrayBuffer(1 << 20);
  private u8 = new Uint8Array(this.ab);
  private u16 = new Uint16Array(this.ab);
  private u32 = new Uint32Array(this.ab);
  private buf = Buffer.from(this.ab);
  private strs: string[] = [];
  /** Per attribute entry of the batch: its value type, key string index and value string index. */
  private types = new Uint8Array(4096);
  private aKey = new Uint32Array(4096);
  private aVal = new Uint32Array(4096);
  /** Attribute entries so far in this batch. */
  private na = 0;
  private counts = new Uint16Array(4096);
  /** Raw path: each body's offset in the bodies area, and the runs to copy (buffer, start, end). */
  private bodyAt = new Uint32Array(4096);
  /** Raw path: each body's byte length and severity, read while planning (events are touched once). */
  private lenAt = new Uint32Array(4096);
  private sevAt = new Uint8Array(4096);
  private runs: (ArrayBufferLike | number)[] = [];

  /**
   * When every body has its read bytes: plans one copy per run of adjacent bytes (fills bodyAt and
   * runs) and returns the bytes the bodies take; -1 otherwise (the bodies are encoded as strings).
   */
  private planRaw(events: readonly LogEvent[], n: number): number {
    if (this.bodyAt.length < n) {
      this.bodyAt = new Uint32Array(Math.max(n, this.bodyAt.length * 2));
      this.lenAt = new Uint32Array(this.bodyAt.length);
      this.sevAt = new Uint8Array(this.bodyAt.length);
    }
    const runs = this.runs;
    runs.length = 0;
    let total = 0;
    let ab: ArrayBufferLike | null = null;
    let view: Uint8Array | null = null;
    let runStart = 0;
    let runEnd = 0;
    for (let i = 0; i < n; i++) {
      const e = events[i]!;
      if (!hasRawBody(e)) return -1;
      const off = e.rawStart!;
      if (e.rawBuf !== ab || off < runEnd || off - runEnd > MAX_GAP || (off > runEnd && !isLineEnd((view ??= new Uint8Array(ab!)), runEnd, off))) {
        if (ab !== null) {
          runs.push(ab, runStart, runEnd, total);
          total += runEnd - runStart;
        }
        ab = e.rawBuf!;
        view = null;
        runStart = off;
      }
      this.bodyAt[i] = total + (off - runStart);
      runEnd = e.rawEnd!;
      this.lenAt[i] = runEnd - off;
      this.sevAt[i] = sevByte(e.severityNumber);
    }
    if (ab !== null) {
      runs.push(ab, runStart, runEnd, total);
      total += runEnd - runStart;
    }
    return total;
  }

  /** Views of the last target memory (rebuilt when it grew, which replaces its buffer). */
  private tAb: ArrayBufferLike | null = null;
  private tU8: Uint8Array = this.u8;
  private tU16: Uint16Array = this.u16;
  private tU32: Uint32Array = this.u32;
  private tBuf: Buffer = this.buf;
  /** The views the current batch is written through (set by region()). */
  private w8: Uint8Array = this.u8;
  private w16: Uint16Array = this.u16;
  private w32: Uint32Array = this.u32;
  private wBuf: Buffer = this.buf;

  /**
   * Reserves `need` bytes for the batch in the target (module memory) or else in the encoder's own
   * buffer, points the w* views at it and returns where the region starts.
   */
  private region(need: number, count: number, target: EncodeTarget | null): number {
    const into = target?.reserve(need, count);
    if (into && (into.base & 3) === 0) {
      const ab = into.buffer;
      if (ab !== this.tAb) {
        this.tAb = ab;
        this.tU8 = new Uint8Array(ab);
        this.tU16 = new Uint16Array(ab, 0, ab.byteLength >> 1);
        this.tU32 = new Uint32Array(ab, 0, ab.byteLength >> 2);
        this.tBuf = Buffer.from(ab);
      }
      this.w8 = this.tU8;
      this.w16 = this.tU16;
      this.w32 = this.tU32;
      this.wBuf = this.tBuf;
      return into.base;
    }
    this.ensure(need);
    this.w8 = this.u8;
    this.w16 = this.u16;
    this.w32 = this.u32;
    this.wBuf = this.buf;
    return 0;
  }

  /** Record headers of the bodies-only path, built before the region is reserved. */
  private heads = new Uint32Array(4 * 4096);

  /**
   * Bodies only, every one with its read bytes (a filter or sampler on the body, redact): the one
   * pass over the events (planRaw) reads all the headers need, the headers are built from typed
   * arrays and copied in as one block, the bodies as their runs. The general path touches each event
   * three times; on a batch whose events are no longer in the CPU's caches that was over half of the
   * encoding (42 -> 22 ns a record). Null when some body has no read bytes (the general path then
   * encodes the strings).
   */
  private bodiesOnly(events: readonly LogEvent[], n: number, target: EncodeTarget | null): EncodedBatch | null {
    const total = this.planRaw(events, n);
    if (total < 0) return null;
    const dataOff = BATCH_HEADER_BYTES + n * RECORD_HEADER_BYTES;
    if (this.heads.length < 4 * (n + 1)) this.heads = new Uint32Array(4 * Math.max(n + 1, this.heads.length >> 1));
    const heads = this.heads;
    const bodyAt = this.bodyAt;
    const lenAt = this.lenAt;
    const sevAt = this.sevAt;
    for (let i = 0, h = 4; i < n; i++, h += 4) {
      heads[h] = dataOff + bodyAt[i]!;
      heads[h + 1] = lenAt[i]!;
      heads[h + 2] = 0; // first attribute (none)
      heads[h + 3] = sevAt[i]! << 16; // u16 attribute count 0, u8 severity, u8 reserved
    }
    heads[0] = n;
    heads[1] = dataOff; // an empty attribute table, where the data starts
    heads[2] = dataOff;
    heads[3] = total;
    const length = dataOff + total;
    const B = this.region(length, n, target);
    const u8 = this.w8;
    u8.set(new Uint8Array(heads.buffer, heads.byteOffset, dataOff), B);
    const runs = this.runs;
    for (let r = 0; r < runs.length; r += 4) {
      const start = runs[r + 1] as number;
      u8.set(new Uint8Array(runs[r] as ArrayBufferLike, start, (runs[r + 2] as number) - start), B + dataOff + (runs[r + 3] as number));
    }
    runs.length = 0; // do not pin the read chunks until the next batch
    return { bytes: u8, offset: B, length, count: n };
  }

  private ensure(need: number): void {
    if (need <= this.ab.byteLength) return;
    let cap = this.ab.byteLength * 2;
    while (cap < need) cap *= 2;
    this.ab = new ArrayBuffer(cap);
    this.u8 = new Uint8Array(this.ab);
    this.u16 = new Uint16Array(this.ab);
    this.u32 = new Uint32Array(this.ab);
    this.buf = Buffer.from(this.ab);
  }

  /** Attribute strings of the batch, each written once; entries refer to them by index. */
  private ustrs: string[] = [];
  /** Per attribute position in a record: the last WAYS strings seen there and their index. */
  private slotStr: (string | undefined)[] = [];
  private slotIdx: number[] = [];
  private uOff = new Uint32Array(1024);
  private uLen = new Uint32Array(1024);

  /**
   * The index of `s` among the batch's attribute strings. Events of one stream repeat their keys
   * and most values (a file's events share one attributes object), so a string already seen at
   * this position is written once for the whole batch.
   */
  private intern(s: string, slot: number): number {
    const ss = this.slotStr;
    const si = this.slotIdx;
    const base = slot * WAYS;
    for (let w = 0; w < WAYS; w++) if (ss[base + w] === s) return si[base + w]!;
    const idx = this.ustrs.push(s) - 1;
    for (let w = WAYS - 1; w > 0; w--) {
      ss[base + w] = ss[base + w - 1];
      si[base + w] = si[base + w - 1]!;
    }
    ss[base] = s;
    si[base] = idx;
    return idx;
  }

  private attr(k: string, v: AttrValue, pos: number): void {
    let s: string;
    let type: number;
    if (typeof v === 'string') {
      s = v;
      type = T_STRING;
    } else if (typeof v === 'number') {
      s = String(v);
      type = T_NUMBER;
    } else {
      s = v ? 'true' : 'false';
      type = T_BOOL;
    }
    const i = this.na++;
    if (i === this.types.length) {
      const grow = <T extends Uint8Array | Uint32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.types = grow(this.types);
      this.aKey = grow(this.aKey);
      this.aVal = grow(this.aVal);
    }
    const slot = (pos < MAX_SLOTS ? pos : MAX_SLOTS - 1) * 2;
    this.types[i] = type;
    this.aKey[i] = this.intern(k, slot);
    this.aVal[i] = this.intern(s, slot + 1);
  }

  encode(events: readonly LogEvent[], needs: number, keys: readonly string[] | null = null, target: EncodeTarget | null = null): EncodedBatch {
    const n = events.length;
    const withBody = (needs & NEEDS_BODY) !== 0;
    const allAttrs = (needs & NEEDS_ATTRIBUTES) !== 0;
    const selected = !allAttrs && (needs & NEEDS_SELECTED_ATTRIBUTES) !== 0 && keys !== null && keys.length > 0 ? keys : null;
    if (this.counts.length < n) this.counts = new Uint16Array(Math.max(n, this.counts.length * 2));
    const counts = this.counts;
    if (withBody && !selected && !allAttrs) {
      const done = this.bodiesOnly(events, n, target);
      if (done) return done;
    }
    const rawBytes = withBody ? this.planRaw(events, n) : -1;
    const raw = rawBytes >= 0;
    // pass 1: body strings (unless raw) and the attribute entries, their strings interned
    const strs = this.strs;
    strs.length = 0;
    this.na = 0;
    this.ustrs.length = 0;
    this.slotStr.length = 0;
    if (this.sevAt.length < n) this.sevAt = new Uint8Array(Math.max(n, this.sevAt.length * 2));
    const sevAt = this.sevAt;
    for (let i = 0; i < n; i++) {
      const e = events[i]!;
      if (withBody && !raw) strs.push(e.body);
      if (!raw) sevAt[i] = sevByte(e.severityNumber); // read while the event is at hand (planRaw did it for raw bodies)
      let c = 0;
      if (selected) {
        const attrs = e.attributes;
        for (let j = 0; j < selected.length; j++) {
          const k = selected[j]!;
          const v = attrs[k];
          if (v === undefined) continue;
          this.attr(k, v, j);
          c++;
        }
      } else if (allAttrs) {
        const attrs = e.attributes;
        for (const k in attrs) {
          if (k.length > MAX_KEY_CHARS || c === 0xffff) continue; // not encodable; the host keeps it untouched
          this.attr(k, attrs[k]!, c);
          c++;
        }
      }
      counts[i] = c;
    }
    const attrTotal = this.na;
    const attrTable = BATCH_HEADER_BYTES + n * RECORD_HEADER_BYTES;
    const dataOff = attrTable + attrTotal * ATTR_ENTRY_BYTES;
    const bodies = strs.length === 0 ? '' : strs.length === 1 ? strs[0]! : strs.join('');
    const ustrs = this.ustrs;
    const attrText = ustrs.length === 0 ? '' : ustrs.length === 1 ? ustrs[0]! : ustrs.join('');
    const bodyOff = dataOff + (raw ? rawBytes : 0);
    const need = bodyOff + (bodies.length + attrText.length) * 3 + 16;
    // B: where the region starts in the buffer written; every offset stored stays relative to it
    const B = this.region(need, n, target);
    const { w8: u8, w16: u16, w32: u32, wBuf: buf } = this;
    // pass 2: the data: the bodies (raw ones copied by runs, else their strings), then each
    // attribute string once; ASCII text needs one write and takes its offsets from string lengths
    const runs = this.runs;
    if (raw) for (let r = 0; r < runs.length; r += 4) {
      const start = runs[r + 1] as number;
      u8.set(new Uint8Array(runs[r] as ArrayBufferLike, start, (runs[r + 2] as number) - start), B + dataOff + (runs[r + 3] as number));
    }
    const bodiesAscii = bodies.length === 0 || utf8Write.call(buf, bodies, B + bodyOff) === bodies.length;
    let cursor = bodyOff;
    if (!raw && withBody) {
      // per record offsets of the body strings (rewritten one by one when not ASCII)
      for (let i = 0; i < n; i++) {
        const b = strs[i]!;
        this.bodyAt[i] = cursor;
        cursor += bodiesAscii ? b.length : b.length === 0 ? 0 : utf8Write.call(buf, b, B + cursor);
      }
    }
    const bodiesEnd = cursor;
    const nu = ustrs.length;
    if (this.uOff.length < nu) {
      this.uOff = new Uint32Array(Math.max(nu, this.uOff.length * 2));
      this.uLen = new Uint32Array(this.uOff.length);
    }
    const uOff = this.uOff;
    const uLen = this.uLen;
    const attrAscii = attrText.length === 0 || utf8Write.call(buf, attrText, B + cursor) === attrText.length;
    for (let u = 0; u < nu; u++) {
      const t = ustrs[u]!;
      uOff[u] = cursor;
      const len = attrAscii ? t.length : t.length === 0 ? 0 : utf8Write.call(buf, t, B + cursor);
      uLen[u] = len;
      cursor += len;
    }
    // pass 3: headers and attribute entries
    const bodyAt = this.bodyAt;
    const aKey = this.aKey;
    const aVal = this.aVal;
    const types = this.types;
    let ai = 0;
    for (let i = 0; i < n; i++) {
      const h = (B + BATCH_HEADER_BYTES + i * RECORD_HEADER_BYTES) >> 2;
      if (raw) {
        u32[h] = dataOff + bodyAt[i]!;
        u32[h + 1] = this.lenAt[i]!;
      } else if (withBody) {
        u32[h] = bodyAt[i]!;
        u32[h + 1] = (i + 1 < n ? bodyAt[i + 1]! : bodiesEnd) - bodyAt[i]!;
      } else {
        u32[h] = dataOff;
        u32[h + 1] = 0;
      }
      u32[h + 2] = ai;
      const c = counts[i]!;
      u16[(h << 1) + 6] = c;
      u8[(h << 2) + 14] = sevAt[i]!;
      u8[(h << 2) + 15] = 0;
      for (let j = 0; j < c; j++, ai++) {
        const a = (B + attrTable + ai * ATTR_ENTRY_BYTES) >> 2;
        const k = aKey[ai]!;
        const v = aVal[ai]!;
        u32[a] = uOff[k]!;
        u16[(a << 1) + 2] = uLen[k]!;
        u8[(a << 2) + 6] = types[ai]!;
        u8[(a << 2) + 7] = 0;
        u32[a + 2] = uOff[v]!;
        u32[a + 3] = uLen[v]!;
      }
    }
    const b0 = B >> 2;
    u32[b0] = n;
    u32[b0 + 1] = attrTable;
    u32[b0 + 2] = dataOff;
    u32[b0 + 3] = cursor - dataOff;
    if (raw) this.runs.length = 0; // do not pin the read chunks until the next batch
    this.slotStr.length = 0; // nor the strings
    return { bytes: u8, offset: B, length: cursor, count: n };
  }
}
