// Request bodies → records → events. Bodies are decompressed with the output bounded by
// max_body_bytes (a gzip bomb stops there), parsed as NDJSON or a JSON array, and each record is
// mapped to the event model: message/log/body → body, timestamp/date/time → event time,
// level/severity → severity, other keys → attributes (nested objects flattened with dots).
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import { Attr, nowParts, parseRfc3339, setAttribute, severityFromText, severityText, type Attributes, type LogEvent } from '../../../core/event.js';
import { BODY_KEYS, KNOWN_FIELDS, SEVERITY_KEYS, TIME_KEYS } from './fields.js';

/** A request that is answered with this status and reason. */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const MAX_DEPTH = 16;
const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const brotliAsync = promisify(brotliDecompress);

/** The body after Content-Encoding, at most `max` bytes once decompressed (zlib runs off the event loop). */
export async function decompress(body: Buffer, encoding: string | undefined, max: number): Promise<Buffer> {
  const enc = (encoding ?? 'identity').trim().toLowerCase();
  const opts = { maxOutputLength: max };
  try {
    switch (enc) {
      case '':
      case 'identity':
        return body;
      case 'gzip':
      case 'x-gzip':
        return await gunzipAsync(body, opts);
      case 'deflate':
        return await inflateAsync(body, opts);
      case 'br':
        return await brotliAsync(body, opts);
      case 'zstd':
        throw new HttpFailure(415, 'Content-Encoding zstd is not supported (Node 20 has no zstd decoder): send gzip or no compression');
      default:
        throw new HttpFailure(415, `Content-Encoding ${enc} is not supported: send gzip, deflate, br or no compression`);
    }
  } catch (e) {
    if (e instanceof HttpFailure) throw e;
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new HttpFailure(413, `the decompressed body is larger than max_body_bytes (${max})`);
    }
    throw new HttpFailure(400, `the body is not valid ${enc} data: ${(e as Error).message}`);
  }
}

export type Codec = 'ndjson' | 'json' | 'auto';

/** Parses a body into records (objects, or scalars that become bodies). Errors name the line. */
export function parseRecords(text: string, codec: Codec): unknown[] {
  if (codec === 'json') return parseJson(text);
  if (codec === 'ndjson') return parseNdjson(text);
  let i = 0;
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  if (text[i] === '[') return parseJson(text);
  try {
    return parseNdjson(text);
  } catch (ndErr) {
    // one pretty-printed object spread over several lines
    try {
      return parseJson(text);
    } catch {
      throw ndErr;
    }
  }
}

function parseNdjson(text: string): unknown[] {
  const out: unknown[] = [];
  let start = 0;
  let line = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const chunk = text.slice(start, end);
    start = end + 1;
    line++;
    if (chunk.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(chunk);
    } catch (e) {
      throw new HttpFailure(400, `line ${line}: not valid JSON: ${(e as Error).message}`);
    }
    if (Array.isArray(v)) {
      v.forEach((r, i) => checkRecord(r, `line ${line}, element ${i}`));
      out.push(...v);
    } else {
      checkRecord(v, `line ${line}`);
      out.push(v);
    }
  }
  return out;
}

function parseJson(text: string): unknown[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const where = pos ? lineCol(text, Number(pos[1])) : 'body';
    throw new HttpFailure(400, `${where}: not valid JSON: ${msg}`);
  }
  if (!Array.isArray(v)) {
    checkRecord(v, 'body');
    return [v];
  }
  v.forEach((r, i) => checkRecord(r, `element ${i}`));
  return v;
}

function lineCol(text: string, pos: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return `line ${line}, column ${pos - lineStart + 1}`;
}

function checkRecord(v: unknown, where: string): void {
  if (v === null || Array.isArray(v)) throw new HttpFailure(400, `${where}: a record must be a JSON object or a string, got ${v === null ? 'null' : 'an array'}`);
}

/**
 * One received record as an event. `source` is the component name (attribute flowlog.source);
 * `now` is the observed time, taken once per request.
 */
export function recordToEvent(rec: unknown, source: string, now: readonly [number, number] = nowParts()): LogEvent {
  const e: LogEvent = {
    timeMs: now[0],
    timeNs: now[1],
    observedMs: now[0],
    observedNs: now[1],
    severityText: '',
    severityNumber: 0,
    body: '',
    attributes: { [Attr.source]: source },
  };
  if (typeof rec !== 'object' || rec === null) {
    e.body = String(rec);
    return e;
  }
  const o = rec as Record<string, unknown>;
  const used = new Set<string>();
  for (const k of BODY_KEYS) {
    const v = o[k];
    if (v === undefined || v === null) continue;
    e.body = typeof v === 'string' ? v : JSON.stringify(v);
    used.add(k);
    break;
  }
  for (const k of TIME_KEYS) {
    const v = o[k];
    if (v === undefined || v === null) continue;
    const t = typeof v === 'string' ? parseTime(v) : typeof v === 'number' ? epochParts(v) : null;
    if (t) {
      e.timeMs = t[0];
      e.timeNs = t[1];
      used.add(k);
    }
    break; // an unparsable time stays as an attribute: nothing is lost
  }
  for (const k of SEVERITY_KEYS) {
    const v = o[k];
    if (typeof v === 'string' && v !== '') {
      e.severityText = v;
      e.severityNumber = severityFromText(v);
      used.add(k);
      break;
    }
    if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 24) {
      e.severityNumber = v;
      e.severityText = severityText(v);
      used.add(k);
      break;
    }
  }
  for (const k in o) if (!used.has(k)) flatten(e.attributes, k, o[k], 0);
  return e;
}

/** The attribute name of a record key: its semantic-convention name when known (own keys only: "constructor" is just a key). */
const attrName = (key: string): string => (Object.hasOwn(KNOWN_FIELDS, key) ? KNOWN_FIELDS[key]! : key);

function flatten(attrs: Attributes, key: string, v: unknown, depth: number): void {
  if (v === null || v === undefined) return;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
    setAttribute(attrs, attrName(key), v);
  } else if (typeof v === 'object' && !Array.isArray(v) && depth < MAX_DEPTH) {
    for (const k in v as Record<string, unknown>) flatten(attrs, `${key}.${k}`, (v as Record<string, unknown>)[k], depth + 1);
  } else {
    setAttribute(attrs, attrName(key), JSON.stringify(v));
  }
}

let cachedPrefix = '';
let cachedSecMs = 0;
const UTC_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/** RFC 3339 (fast path for UTC `...Z` with the second's epoch cached: a batch shares seconds), else Date.parse. */
function parseTime(s: string): [number, number] | null {
  const m = UTC_TIME.exec(s);
  if (m) {
    if (m[1] !== cachedPrefix) {
      const ms = Date.parse(m[1] + 'Z');
      if (Number.isNaN(ms)) return null;
      cachedPrefix = m[1]!;
      cachedSecMs = ms;
    }
    const frac = m[2] ? Number((m[2] + '00000000').slice(0, 9)) : 0;
    const sub = Math.floor(frac / 1e6);
    return [cachedSecMs + sub, frac - sub * 1e6];
  }
  const t = parseRfc3339(s);
  if (t) return t;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? null : [ms, 0];
}

/** Epoch number by magnitude: seconds (Fluent Bit's double), milliseconds, microseconds or nanoseconds. */
export function epochParts(n: number): [number, number] | null {
  if (!Number.isFinite(n) || n < 0) return null;
  let ms: number;
  let ns: number;
  if (n < 1e11) {
    // float seconds carry microseconds at best
    const us = Math.round(n * 1e6);
    ms = Math.floor(us / 1000);
    ns = (us - ms * 1000) * 1000;
  } else if (n < 1e14) {
    ms = Math.floor(n);
    ns = Math.round((n - ms) * 1e6);
  } else if (n < 1e17) {
    ms = Math.floor(n / 1e3);
    ns = Math.round(n - ms * 1e3) * 1e3;
  } else {
    ms = Math.floor(n / 1e6);
    ns = Math.round(n - ms * 1e6);
  }
  if (ns >= 1e6) return [ms + 1, ns - 1e6];
  return [ms, Math.max(0, ns)];
}
