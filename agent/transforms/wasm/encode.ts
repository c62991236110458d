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
  /** The encoded region: bytes [0, length) of `bytes`. */
  bytes: Uint8Array;
  length: number;
  count: number;
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

export class BatchEncoder {
  private ab = new ArrayBuffer(1 << 20);
  private u8 = new Uint8Array(this.ab);
  private u16 = new Uint16Array(this.ab);
  private u32 = new Uint32Array(this.ab);
  private buf = Buffer.from(this.ab);
  private strs: string[] = [];
  private types: number[] = [];
  private counts = new Uint16Array(4096);
  /** Raw path: each body's offset in the bodies area, and the runs to copy (buffer, start, end). */
  private bodyAt = new Uint32Array(4096);
  private runs: (ArrayBufferLike | number)[] = [];

  /**
   * When every body has its read bytes: plans one copy per run of adjacent bytes (fills bodyAt and
   * runs) and returns the bytes the bodies take; -1 otherwise (the bodies are encoded as strings).
   */
  private planRaw(events: readonly LogEvent[], n: number): number {
    if (this.bodyAt.length < n) this.bodyAt = new Uint32Array(Math.max(n, this.bodyAt.length * 2));
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
    }
    if (ab !== null) {
      runs.push(ab, runStart, runEnd, total);
      total += runEnd - runStart;
    }
    return total;
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
  private aKey: number[] = [];
  private aVal: number[] = [];
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
    if (typeof v === 'string') {
      s = v;
      this.types.push(T_STRING);
    } else if (typeof v === 'number') {
      s = String(v);
      this.types.push(T_NUMBER);
    } else {
      s = v ? 'true' : 'false';
      this.types.push(T_BOOL);
    }
    const slot = (pos < MAX_SLOTS ? pos : MAX_SLOTS - 1) * 2;
    this.aKey.push(this.intern(k, slot));
    this.aVal.push(this.intern(s, slot + 1));
  }

  encode(events: readonly LogEvent[], needs: number, keys: readonly string[] | null = null): EncodedBatch {
    const n = events.length;
    const withBody = (needs & NEEDS_BODY) !== 0;
    const allAttrs = (needs & NEEDS_ATTRIBUTES) !== 0;
    const selected = !allAttrs && (needs & NEEDS_SELECTED_ATTRIBUTES) !== 0 && keys !== null && keys.length > 0 ? keys : null;
    if (this.counts.length < n) this.counts = new Uint16Array(Math.max(n, this.counts.length * 2));
    const counts = this.counts;
    const rawBytes = withBody ? this.planRaw(events, n) : -1;
    const raw = rawBytes >= 0;
    // pass 1: body strings (unless raw) and the attribute entries, their strings interned
    const strs = this.strs;
    const types = this.types;
    strs.length = 0;
    types.length = 0;
    this.ustrs.length = 0;
    this.aKey.length = 0;
    this.aVal.length = 0;
    this.slotStr.length = 0;
    for (let i = 0; i < n; i++) {
      const e = events[i]!;
      if (withBody && !raw) strs.push(e.body);
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
    const attrTotal = types.length;
    const attrTable = BATCH_HEADER_BYTES + n * RECORD_HEADER_BYTES;
    const dataOff = attrTable + attrTotal * ATTR_ENTRY_BYTES;
    const bodies = strs.length === 0 ? '' : strs.length === 1 ? strs[0]! : strs.join('');
    const ustrs = this.ustrs;
    const attrText = ustrs.length === 0 ? '' : ustrs.length === 1 ? ustrs[0]! : ustrs.join('');
    const bodyOff = dataOff + (raw ? rawBytes : 0);
    this.ensure(bodyOff + (bodies.length + attrText.length) * 3 + 16);
    const buf = this.buf;
    // pass 2: the data: the bodies (raw ones copied by runs, else their strings), then each
    // attribute string once; ASCII text needs one write and takes its offsets from string lengths
    const runs = this.runs;
    if (raw) for (let r = 0; r < runs.length; r += 4) {
      const start = runs[r + 1] as number;
      this.u8.set(new Uint8Array(runs[r] as ArrayBufferLike, start, (runs[r + 2] as number) - start), dataOff + (runs[r + 3] as number));
    }
    const bodiesAscii = bodies.length === 0 || utf8Write.call(buf, bodies, bodyOff) === bodies.length;
    let cursor = bodyOff;
    if (!raw && withBody) {
      // per record offsets of the body strings (rewritten one by one when not ASCII)
      for (let i = 0; i < n; i++) {
        const b = strs[i]!;
        this.bodyAt[i] = cursor;
        cursor += bodiesAscii ? b.length : b.length === 0 ? 0 : utf8Write.call(buf, b, cursor);
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
    const attrAscii = attrText.length === 0 || utf8Write.call(buf, attrText, cursor) === attrText.length;
    for (let u = 0; u < nu; u++) {
      const t = ustrs[u]!;
      uOff[u] = cursor;
      const len = attrAscii ? t.length : t.length === 0 ? 0 : utf8Write.call(buf, t, cursor);
      uLen[u] = len;
      cursor += len;
    }
    // pass 3: headers and attribute entries
    const u32 = this.u32;
    const u16 = this.u16;
    const u8 = this.u8;
    const bodyAt = this.bodyAt;
    const aKey = this.aKey;
    const aVal = this.aVal;
    let ai = 0;
    for (let i = 0; i < n; i++) {
      const h = (BATCH_HEADER_BYTES + i * RECORD_HEADER_BYTES) >> 2;
      if (raw) {
        u32[h] = dataOff + bodyAt[i]!;
        const e = events[i]!;
        u32[h + 1] = e.rawEnd! - e.rawStart!;
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
      const sev = events[i]!.severityNumber;
      u8[(h << 2) + 14] = sev > 0 && sev < 256 ? sev : 0;
      u8[(h << 2) + 15] = 0;
      for (let j = 0; j < c; j++, ai++) {
        const a = (attrTable + ai * ATTR_ENTRY_BYTES) >> 2;
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
    u32[0] = n;
    u32[1] = attrTable;
    u32[2] = dataOff;
    u32[3] = cursor - dataOff;
    if (raw) this.runs.length = 0; // do not pin the read chunks until the next batch
    this.slotStr.length = 0; // nor the strings
    return { bytes: u8, length: cursor, count: n };
  }
}
