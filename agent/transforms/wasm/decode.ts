// Applies a module's results to the batch: one status byte per record, in-place body edits (same
// length) read back from the input bytes, and the edit entries of the output region. Kept records
// that were not modified are passed through as the same objects (no decoding); order is preserved.
import { FlowlogError } from '../../../core/errors.js';
import { compileCopier, copyWithout, hasKeys, type AttrCopier } from '../../../core/attrs.js';
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

/**
 * UTF-8 text of bytes [start, end). Buffer#utf8Slice directly: the edit region is read in many short
 * pieces (a key, a value), and toString's argument handling cost as much as the decoding.
 */
const utf8 = (b: Buffer, start: number, end: number): string => (b as Buffer & { utf8Slice(s: number, e: number): string }).utf8Slice(start, end);

/**
 * Attribute keys of edits, by their bytes: the same few keys come back in every record of a batch
 * (parse_json, set, route), and a cached key is one short byte compare instead of a new string that
 * V8 must then look up in its string table to use as a property name. 256 slots by FNV-1a hash.
 */
const KEY_SLOTS = 256;
const MAX_CACHED_KEY = 64;
const keyBytes: (Buffer | null)[] = new Array<Buffer | null>(KEY_SLOTS).fill(null);
const keyText: string[] = new Array<string>(KEY_SLOTS).fill('');

function keyOf(b: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len > MAX_CACHED_KEY) return utf8(b, start, end);
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  const slot = (h >>> 0) & (KEY_SLOTS - 1);
  const k = keyBytes[slot];
  if (k !== null && k !== undefined && k.length === len) {
    let same = true;
    for (let i = 0; i < len; i++) {
      if (k[i] !== b[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return keyText[slot]!;
  }
  const text = utf8(b, start, end);
  keyBytes[slot] = Buffer.from(b.subarray(start, end));
  keyText[slot] = text;
  return text;
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
  const out = r.output;
  if (out.length > 0) {
    const b = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    let p = 0;
    const need = (k: number) => {
      if (p + k > b.length) throw abiError(`edit region truncated at byte ${p}`);
    };
    while (p < b.length) {
      need(5);
      const idx = b.readUInt32LE(p);
      const op = b[p + 4]!;
      p += 5;
      if (idx >= n) throw abiError(`edit names record ${idx} of a ${n}-record batch`);
      const target = result[idx];
      if (target === events[idx]) throw abiError(`edit for record ${idx}, which its status does not mark modified`);
      switch (op) {
        case OP_SET_BODY: {
          need(5);
          const t = b[p]!;
          const len = b.readUInt32LE(p + 1);
          need(5 + len);
          const text = utf8(b, p + 5, p + 5 + len);
          if (target) target.body = t === T_JSON_STRING ? jsonUnescape(text) : text;
          p += 5 + len;
          break;
        }
        case OP_SET_ATTR: {
          need(2);
          const kl = b.readUInt16LE(p);
          need(2 + kl + 5);
          let key = keyOf(b, p + 2, p + 2 + kl);
          p += 2 + kl;
          const t = b[p]!;
          const vl = b.readUInt32LE(p + 1);
          need(5 + vl);
          const v = value(t, utf8(b, p + 5, p + 5 + vl));
          if ((t & T_KEY_JSON) !== 0) key = jsonUnescape(key);
          if (target) {
            if (owned[idx] === 0) {
              target.attributes = copyAttributes(target.attributes);
              owned[idx] = 1;
            }
            setAttribute(target.attributes, key, v);
          }
          p += 5 + vl;
          break;
        }
        case OP_REMOVE_ATTR: {
          need(2);
          const kl = b.readUInt16LE(p);
          need(2 + kl);
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
          need(1);
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
          need(2);
          const l = b.readUInt16LE(p);
          need(2 + l);
          const text = utf8(b, p + 2, p + 2 + l);
          if (target) {
            target.severityText = text;
            target.severityNumber = severityFromText(text);
          }
          p += 2 + l;
          break;
        }
        default:
          throw abiError(`unknown edit op ${op} at byte ${p - 1}`);
      }
    }
  }
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
