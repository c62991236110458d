// Request bodies → records → events. Bodies are decompressed with the output bounded by
// max_body_bytes (a gzip bomb stops there), parsed as NDJSON or a JSON array, and each record is
// mapped to the event model: message/log/body → body, timestamp/date/time → event time,
// level/severity → severity, other keys → attributes (nested objects flattened with dots).
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import { Attr, newEvent, parseRfc3339, severityFromText, severityText, type Attributes, type LogEvent } from '../../../core/event.js';
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

/** One received record as an event. `source` is the component name (attribute flowlog.source). */
export function recordToEvent(rec: unknown, source: string): LogEvent {
  const e = newEvent('', { [Attr.source]: source });
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

function flatten(attrs: Attributes, key: string, v: unknown, depth: number): void {
  if (v === null || v === undefined) return;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
    attrs[KNOWN_FIELDS[key] ?? key] = v;
  } else if (typeof v === 'object' && !Array.isArray(v) && depth < MAX_DEPTH) {
    for (const k in v as Record<string, unknown>) flatten(attrs, `${key}.${k}`, (v as Record<string, unknown>)[k], depth + 1);
  } else {
    attrs[KNOWN_FIELDS[key] ?? key] = JSON.stringify(v);
  }
}

function parseTime(s: string): [number, number] | null {
  const t = parseRfc3339(s);
  if (t) return t;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? null : [ms, 0];
}

/** Epoch number by magnitude: seconds (Fluent Bit's double), milliseconds, microseconds or nanoseconds. */
export function epochParts(n: number): [number, number] | null {
  if (!Number.isFinite(n) || n < 0) return null;
  let nsTotal: number;
  if (n < 1e11) nsTotal = n * 1e9;
  else if (n < 1e14) nsTotal = n * 1e6;
  else if (n < 1e17) nsTotal = n * 1e3;
  else nsTotal = n;
  const ms = Math.floor(nsTotal / 1e6);
  // sub-millisecond digits: from the fraction, rounded to the microsecond for float seconds
  const ns = n < 1e11 ? Math.round((nsTotal - ms * 1e6) / 1e3) * 1e3 : Math.round(nsTotal - ms * 1e6);
  return ns >= 1e6 ? [ms + 1, 0] : [ms, ns];
}
