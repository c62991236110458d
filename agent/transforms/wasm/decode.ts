// Applies a module's results to the batch: one status byte per record, in-place body edits (same
// length) read back from the input bytes, and the edit entries of the output region. Kept records
// that were not modified are passed through as the same objects (no decoding); order is preserved.
import { FlowlogError } from '../../../core/errors.js';
import { compileCopier, copyWithout, hasKeys, type AttrCopier } from '../../../core/attrs.js';
import { AttrEdits } from './attr-builder.js';
import { keyOf, RegionText, utf8 } from './edit-text.js';
import { copyAttributes, setAttribute, severityFromText, severityText, type Attributes, type AttrValue, type LogEvent } from '../../../core/event.js';
import {
  ACTION_MASK,
  BATCH_HEADER_BYTES,
  RECORD_HEADER_BYTES,
  FLAG_BODY_IN_PLACE,
  OP_REMOVE_ATTR,
  OP_SET_ATTR,
  OP_SET_BODY,
  OP_SET_SEVERITY,
  OP_SET_SEVERITY_TEXT,
  STATUS_DROP,
  STATUS_KEEP,
  STATUS_MODIFIED,
  STATUS_RESERVED,
  T_BOOL,
  T_JSON_STRING,
  T_JSON_TEXT,
  T_KEY_JSON,
  T_NUMBER,
  T_STRING,
} from './abi.js';

export interface BatchResult {
  statuses: Uint8Array;
  /** The input region after the call (only read for records flagged body-edited-in-place). */
  input: Uint8Array | null;
  output: Uint8Array;
}

export interface DecodeCounts {
  kept: number;
  dropped: number;
  modified: number;
}

const abiError = (msg: string) => new FlowlogError('TRANSFORM_ABI', msg);

function jsonUnescape(s: string): string {
  try {
    return JSON.parse(`"${s}"`) as string;
  } catch {
    return s;
  }
}

/** Per removed key, the key lists seen and their compiled copiers (core/attrs.ts); bounded. */
const removers = new Map<string, { keys: string[]; copy: AttrCopier }[]>();
const MAX_REMOVED_KEYS = 256;
const MAX_SHAPES = 8;

/**
 * The attributes without `key`, as a new object (`delete` would put the object in V8's slow
 * dictionary mode), through a literal compiled for the key list: events of one stream share it.
 */
function withoutKey(attrs: Attributes, key: string): Attributes {
  let shapes = removers.get(key);
  if (shapes === undefined) {
    if (removers.size >= MAX_REMOVED_KEYS) return copyWithout(attrs, key);
    removers.set(key, (shapes = []));
  }
  for (let i = 0; i < shapes.length; i++) if (hasKeys(attrs, shapes[i]!.keys)) return shapes[i]!.copy(attrs, '');
  if (shapes.length >= MAX_SHAPES) return copyWithout(attrs, key); // many key lists: stop compiling
  const keys = Object.keys(attrs);
  const copy = compileCopier(keys, key, '');
  shapes.push({ keys, copy });
  return copy(attrs, '');
}

function value(type: number, text: string): AttrValue {
  switch (type & 0x7f) {
    case T_STRING:
    case T_JSON_TEXT:
      return text;
    case T_NUMBER: {
      const n = Number(text);
      return text.length > 0 && Number.isFinite(n) ? n : text;
    }
    case T_BOOL:
      return text === 'true';
    case T_JSON_STRING:
      return jsonUnescape(text);
    default:
      throw abiError(`edit has unknown value type ${type}`);
  }
}

/** A pure filter's result (every status keep or drop, no edits): one pass, the kept array directly.
 *  Returns null when some status is anything else, and the general path then decides. */
function keepOrDrop(events: readonly LogEvent[], statuses: Uint8Array, counts: DecodeCounts): LogEvent[] | null {
  const n = events.length;
  const kept: LogEvent[] = [];
  for (let i = 0; i < n; i++) {
    const s = statuses[i]!;
    if (s === STATUS_KEEP) kept.push(events[i]!);
    else if (s !== STATUS_DROP) return null;
  }
  counts.kept += kept.length;
  counts.dropped += n - kept.length;
  return kept;
}

const truncated = (p: number) => abiError(`edit region truncated at byte ${p}`);

/** A T_NUMBER value: plain integers of up to 15 digits straight from the bytes, the rest by Number(). */
function numberAt(b: Uint8Array, start: number, end: number, text: RegionText): AttrValue {
  const len = end - start;
  let i = start;
  const neg = len > 1 && b[i] === 0x2d;
  if (neg) i++;
  if (end - i > 0 && end - i <= 15 && (b[i] !== 0x30 || end - i === 1)) {
    let v = 0;
    for (; i < end; i++) {
      const d = b[i]! - 0x30;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (i === end) return neg ? -v : v;
  }
  return value(T_NUMBER, text.get(start, end));
}

const isTrue = (b: Uint8Array, s: number, len: number): boolean => len === 4 && b[s] === 0x74 && b[s + 1] === 0x72 && b[s + 2] === 0x75 && b[s + 3] === 0x65;

const attrEdits = new AttrEdits();

/** Applies the attribute sets collected for record i (its copy is `t`). */
function applySets(t: LogEvent, i: number): void {
  t.attributes = attrEdits.apply(t.attributes, owned[i] === 0);
  owned[i] = 1;
}

/** Applies the output region's edits to the copies in `result` (null = dropped record). */
function applyEdits(events: readonly LogEvent[], result: (LogEvent | null)[], out: Uint8Array): void {
  const n = events.length;
  const b = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  const end = b.length;
  const text = new RegionText(b);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  // attribute sets are collected per record and applied when its run of them ends (attr-builder.ts)
  const sets = attrEdits;
  sets.reset();
  let setsOf = -1;
  let p = 0;
  while (p < end) {
    if (p + 5 > end) throw truncated(p);
    const idx = dv.getUint32(p, true);
    const op = b[p + 4]!;
    p += 5;
    if (idx >= n) throw abiError(`edit names record ${idx} of a ${n}-record batch`);
    const target = result[idx];
    if (target === events[idx]) throw abiError(`edit for record ${idx}, which its status does not mark modified`);
    if (sets.pending > 0 && (idx !== setsOf || op !== OP_SET_ATTR)) applySets(result[setsOf]!, setsOf);
    switch (op) {
      case OP_SET_BODY: {
        if (p + 5 > end) throw truncated(p);
        const t = b[p]!;
        const len = dv.getUint32(p + 1, true);
        if (p + 5 + len > end) throw truncated(p);
        if (target) {
          const s = text.get(p + 5, p + 5 + len);
          target.body = t === T_JSON_STRING ? jsonUnescape(s) : s;
        }
        p += 5 + len;
        break;
      }
      case OP_SET_ATTR: {
        if (p + 2 > end) throw truncated(p);
        const kl = dv.getUint16(p, true);
        if (p + 2 + kl + 5 > end) throw truncated(p);
        let key = keyOf(b, p + 2, p + 2 + kl);
        p += 2 + kl;
        const t = b[p]!;
        const vl = dv.getUint32(p + 1, true);
        const vs = p + 5;
        if (vs + vl > end) throw truncated(p);
        p = vs + vl;
        const kind = t & 0x7f;
        const v = kind === T_NUMBER ? numberAt(b, vs, p, text) : kind === T_BOOL ? isTrue(b, vs, vl) : value(t, text.get(vs, p));
        if (!target) break;
        if ((t & T_KEY_JSON) !== 0) key = jsonUnescape(key);
        setsOf = idx;
        sets.add(key, v);
        break;
      }
      case OP_REMOVE_ATTR: {
        if (p + 2 > end) throw truncated(p);
        const kl = dv.getUint16(p, true);
        if (p + 2 + kl > end) throw truncated(p);
        if (target) {
          const key = keyOf(b, p + 2, p + 2 + kl);
          if (Object.hasOwn(target.attributes, key)) {
            target.attributes = withoutKey(target.attributes, key);
            owned[idx] = 1;
          }
        }
        p += 2 + kl;
        break;
      }
      case OP_SET_SEVERITY: {
        if (p + 1 > end) throw truncated(p);
        const sev = b[p]!;
        if (sev > 24) throw abiError(`severity ${sev} out of range 0..24`);
        if (target) {
          target.severityNumber = sev;
          target.severityText = severityText(sev);
        }
        p += 1;
        break;
      }
      case OP_SET_SEVERITY_TEXT: {
        if (p + 2 > end) throw truncated(p);
        const l = dv.getUint16(p, true);
        if (p + 2 + l > end) throw truncated(p);
        if (target) {
          const s = text.get(p + 2, p + 2 + l);
          target.severityText = s;
          target.severityNumber = severityFromText(s);
        }
        p += 2 + l;
        break;
      }
      default:
        throw abiError(`unknown edit op ${op} at byte ${p - 1}`);
    }
  }
  if (sets.pending > 0) applySets(result[setsOf]!, setsOf);
}

/** Per record of the batch being decoded: whether its copy has its own attributes object yet. */
let owned = new Uint8Array(4096);

export function decodeBatch(events: readonly LogEvent[], r: BatchResult, counts: DecodeCounts): LogEvent[] {
  const n = events.length;
  if (r.statuses.length < n) throw abiError(`module returned ${r.statuses.length} statuses for ${n} records`);
  if (r.output.length === 0) {
    const fast = keepOrDrop(events, r.statuses, counts);
    if (fast) return fast;
  }
  const result: (LogEvent | null)[] = new Array(n);
  if (owned.length < n) owned = new Uint8Array(Math.max(n, owned.length * 2));
  let anyModified = false;
  for (let i = 0; i < n; i++) {
    const s = r.statuses[i]!;
    const action = s & ACTION_MASK;
    if ((s & STATUS_RESERVED) !== 0 || action > STATUS_MODIFIED) {
      throw abiError(`status ${s} of record ${i} is out of range (0 keep, 1 drop, 2 modified, +4 body edited in place)`);
    }
    const e = events[i]!;
    if (action === STATUS_DROP) {
      result[i] = null;
    } else if (action === STATUS_KEEP && (s & FLAG_BODY_IN_PLACE) === 0) {
      result[i] = e;
    } else {
      anyModified = true;
      // a shallow copy: the attributes are copied on the first edit that changes them (a removal
      // builds a new object anyway)
      const c = { ...e };
      owned[i] = 0;
      if ((s & FLAG_BODY_IN_PLACE) !== 0) {
        if (!r.input) throw abiError('module flagged an in-place edit but the host has no input copy');
        const dv = Buffer.from(r.input.buffer, r.input.byteOffset, r.input.byteLength);
        const h = BATCH_HEADER_BYTES + i * RECORD_HEADER_BYTES;
        const off = dv.readUInt32LE(h);
        c.body = utf8(dv, off, off + dv.readUInt32LE(h + 4));
      }
      result[i] = c;
    }
  }
  if (r.output.length > 0) applyEdits(events, result, r.output);
  const kept: LogEvent[] = [];
  for (let i = 0; i < n; i++) {
    const e = result[i];
    if (e) {
      kept.push(e);
      if (anyModified && e !== events[i]) counts.modified++;
    } else counts.dropped++;
  }
  counts.kept += kept.length;
  return kept;
}
