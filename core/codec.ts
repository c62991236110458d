// The wire encoding of events (docs/event-model.md): JSON objects, framed either one event per Kafka
// message or as newline-delimited events in one message value. Encoding happens once per event, where
// it leaves the process; decoding once, where it enters the aggregator.
import { FlowlogError } from './errors.js';
import { formatRfc3339, parseRfc3339, setAttribute, type Attributes, type LogEvent } from './event.js';

export type Framing = 'single' | 'newline_delimited';

/**
 * One event as a JSON object text (no trailing newline). Fields holding their default are left out:
 * `observed_timestamp` when it equals `timestamp`, `severity_text` when empty, `severity_number`
 * when 0 (readers take those defaults; docs/event-model.md). A file line then costs ~90 bytes less.
 */
export function encodeEvent(e: LogEvent): string {
  return encodeWith(e, JSON.stringify(e.attributes));
}

/** The members before the body: the timestamp, and the fields not at their default. */
function head(e: LogEvent): string {
  let s = `{"timestamp":"${formatRfc3339(e.timeMs, e.timeNs)}"`;
  if (e.observedMs !== e.timeMs || e.observedNs !== e.timeNs) s += `,"observed_timestamp":"${formatRfc3339(e.observedMs, e.observedNs)}"`;
  if (e.severityText !== '') s += `,"severity_text":${JSON.stringify(e.severityText)}`;
  if (e.severityNumber !== 0) s += `,"severity_number":${e.severityNumber}`;
  return s;
}

/** Whether the body is still the bytes its source read and found free of anything JSON escapes. */
const rawJsonBody = (e: LogEvent): boolean => e.rawJson === true && e.rawOf === e.body;

/** encodeEvent with the attributes' JSON text supplied (NdjsonEncoder reuses it across events). */
function encodeWith(e: LogEvent, attributes: string): string {
  // a body still equal to bytes the source scanned (rawJson) needs no escaping test
  const body = rawJsonBody(e) ? `"${e.body}"` : jsonString(e.body);
  return head(e) + `,"body":${body},"attributes":${attributes}}`;
}

const BODY_OPEN = Buffer.from(',"body":"');
const TS_HEAD_BYTES = '{"timestamp":"YYYY-MM-DDTHH:MM:SS.'.length;
const TS_CLOSE = Buffer.from('Z","body":"');

// what JSON.stringify would escape in a string: quote, backslash, controls, lone surrogates
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify(s), without its work for the common string that needs no escaping. */
function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** Same keys and values (attributes are flat: strings, numbers, booleans). */
function sameAttributes(a: Attributes, b: Attributes): boolean {
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}

/** Events as NDJSON: each event followed by '\n'. */
export function encodeNdjson(events: readonly LogEvent[]): string {
  let s = '';
  for (let i = 0; i < events.length; i++) s += encodeEvent(events[i]!) + '\n';
  return s;
}

/**
 * Encodes events as NDJSON bytes. Each event is written into one reused scratch buffer as it is
 * encoded (no megabyte-long concatenated string to flatten, which cost more than the encoding
 * itself), and take() copies out exactly the bytes written.
 */
export class NdjsonEncoder {
  private buf: Buffer;
  private off = 0;
  private n = 0;
  private lastAttrs: Attributes | null = null;
  private lastJson = '';
  /** `{"timestamp":"` and the date-time to the second, for the second tsSec. */
  private tsSec = NaN;
  private tsHead: Buffer = Buffer.alloc(0);
  /** What follows a raw body: `","attributes":<lastJson>}` and the newline, as bytes. */
  private lastTail: Buffer = Buffer.alloc(0);

  constructor(initialBytes = 1 << 21) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes written since the last take(). */
  get bytes(): number {
    return this.off;
  }

  /** Events written since the last take(). */
  get count(): number {
    return this.n;
  }

  add(e: LogEvent): void {
    // events of one stream carry equal attributes (a copy each): their JSON is made once
    // (compared with a snapshot: a source may reuse and change one attributes object)
    const a = e.attributes;
    if (this.lastAttrs === null || !sameAttributes(a, this.lastAttrs)) {
      this.lastJson = JSON.stringify(a);
      this.lastAttrs = { ...a };
      this.lastTail = Buffer.from(`","attributes":${this.lastJson}}\n`);
    }
    if (rawJsonBody(e)) {
      this.addRaw(e);
      return;
    }
    const s = encodeWith(e, this.lastJson);
    // UTF-8 needs at most 3 bytes per UTF-16 unit (a surrogate pair takes 4 bytes for 2 units)
    this.reserve(s.length * 3 + 1);
    this.off += this.buf.write(s, this.off);
    this.buf[this.off++] = 10;
    this.n++;
  }

  /**
   * A body the source read and found free of escapes is copied from its read bytes: the event's
   * line is written without building it as one string first (measured: that string was ~780 bytes
   * of allocation per event, the agent's largest source of garbage).
   */
  private addRaw(e: LogEvent): void {
    const len = e.rawEnd! - e.rawStart!;
    const tail = this.lastTail;
    let off: number;
    if (e.observedMs === e.timeMs && e.observedNs === e.timeNs && e.severityText === '' && e.severityNumber === 0) {
      // only the timestamp before the body (a line from a file): written without a string
      this.reserve(TS_HEAD_BYTES + 9 + TS_CLOSE.length + len + tail.length);
      off = this.timestamp(e.timeMs, e.timeNs);
    } else {
      const h = head(e);
      this.reserve(h.length * 3 + BODY_OPEN.length + len + tail.length);
      off = this.off + this.buf.write(h, this.off);
      this.buf.set(BODY_OPEN, off);
      off += BODY_OPEN.length;
    }
    const buf = this.buf;
    buf.set(new Uint8Array(e.rawBuf!, e.rawStart!, len), off);
    off += len;
    buf.set(tail, off);
    this.off = off + tail.length;
    this.n++;
  }

  /** `{"timestamp":"<RFC 3339, 9 digits>Z","body":"` at this.off (room reserved); returns the end. */
  private timestamp(ms: number, ns: number): number {
    const sec = Math.floor(ms / 1000);
    if (sec !== this.tsSec) {
      this.tsSec = sec;
      this.tsHead = Buffer.from(`{"timestamp":"${new Date(sec * 1000).toISOString().slice(0, 19)}.`);
    }
    const buf = this.buf;
    let off = this.off;
    buf.set(this.tsHead, off);
    off += TS_HEAD_BYTES;
    let frac = (ms - sec * 1000) * 1_000_000 + ns; // 0..999_999_999: an int32
    for (let i = 8; i >= 0; i--) {
      buf[off + i] = 48 + (frac % 10);
      frac = (frac / 10) | 0;
    }
    off += 9;
    buf.set(TS_CLOSE, off);
    return off + TS_CLOSE.length;
  }

  private reserve(bytes: number): void {
    const need = this.off + bytes;
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.off);
      this.buf = bigger;
    }
  }

  /** The NDJSON written so far as its own buffer; starts over. */
  take(): { payload: Buffer; count: number } {
    const payload = Buffer.allocUnsafe(this.off);
    this.buf.copy(payload, 0, 0, this.off);
    const count = this.n;
    this.off = 0;
    this.n = 0;
    return { payload, count };
  }
}

interface WireEvent {
  timestamp?: unknown;
  observed_timestamp?: unknown;
  severity_text?: unknown;
  severity_number?: unknown;
  body?: unknown;
  attributes?: unknown;
}

/**
 * An event from its decoded JSON object. Missing or unparsable timestamps take `fallbackMs` (e.g. the
 * Kafka message timestamp); a non-string body is kept as its JSON text.
 */
export function eventFromWire(o: unknown, fallbackMs: number): LogEvent {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) {
    throw new FlowlogError('SOURCE_PARSE', 'event is not a JSON object');
  }
  const w = o as WireEvent;
  const t = typeof w.timestamp === 'string' ? parseRfc3339(w.timestamp) : typeof w.timestamp === 'number' ? msParts(w.timestamp) : null;
  const ot = typeof w.observed_timestamp === 'string' ? parseRfc3339(w.observed_timestamp) : null;
  const [ms, ns] = t ?? [fallbackMs, 0];
  const [oms, ons] = ot ?? [ms, ns];
  let sev = 0;
  if (typeof w.severity_number === 'number') {
    // the archive stores it as a 32-bit integer (OpenTelemetry uses 0..24): anything else is refused
    // here, with a reason, instead of failing a sink later
    if (!Number.isInteger(w.severity_number) || w.severity_number < -0x8000_0000 || w.severity_number > 0x7fff_ffff) {
      throw new FlowlogError('SOURCE_PARSE', `severity_number ${w.severity_number} is not a whole number within 32 bits (OpenTelemetry uses 0-24)`);
    }
    sev = w.severity_number;
  }
  const attrs: Attributes = {};
  if (w.attributes && typeof w.attributes === 'object' && !Array.isArray(w.attributes)) {
    for (const [k, v] of Object.entries(w.attributes as Record<string, unknown>)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') setAttribute(attrs, k, v);
      else if (v !== null && v !== undefined) setAttribute(attrs, k, JSON.stringify(v));
    }
  }
  return {
    timeMs: ms,
    timeNs: ns,
    observedMs: oms,
    observedNs: ons,
    severityText: typeof w.severity_text === 'string' ? w.severity_text : '',
    severityNumber: sev,
    body: typeof w.body === 'string' ? w.body : w.body === undefined ? '' : JSON.stringify(w.body),
    attributes: attrs,
  };
}

function msParts(ms: number): [number, number] {
  const whole = Math.floor(ms);
  return [whole, Math.round((ms - whole) * 1e6)];
}

export interface DecodeResult {
  events: LogEvent[];
  /** Lines that were not JSON objects, with the reason (for dead-lettering). */
  errors: { line: number; reason: string; text: string }[];
}

/** Decodes one Kafka message value in either framing (a single object is NDJSON with one line). */
export function decodeMessage(value: Buffer | string, fallbackMs: number): DecodeResult {
  const text = typeof value === 'string' ? value : value.toString('utf8');
  const out: DecodeResult = { events: [], errors: [] };
  let start = 0;
  let line = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const chunk = text.slice(start, end);
    start = end + 1;
    line++;
    if (chunk.trim() === '') continue;
    try {
      out.events.push(eventFromWire(JSON.parse(chunk), fallbackMs));
    } catch (e) {
      out.errors.push({ line, reason: e instanceof Error ? e.message : String(e), text: chunk.slice(0, 1024) });
    }
  }
  return out;
}
