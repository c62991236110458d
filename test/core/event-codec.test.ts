import { describe, expect, it } from 'vitest';
import { NdjsonEncoder, decodeMessage, encodeEvent, encodeNdjson } from '../../core/codec.js';
import { cloneEvent, eventTimeNs, formatRfc3339, parseRfc3339, severityFromSyslog, severityFromText, type LogEvent } from '../../core/event.js';
import { decodeUtf8 } from '../../core/utf8.js';

const ev = (over: Partial<LogEvent> = {}): LogEvent => ({
  timeMs: Date.UTC(2026, 10, 24, 16, 26, 8, 123),
  timeNs: 456789,
  observedMs: Date.UTC(2026, 10, 24, 16, 26, 9, 0),
  observedNs: 1,
  severityText: 'WARN',
  severityNumber: 13,
  body: 'disk "sda" 91% full\n\ttab',
  attributes: { 'host.name': 'node-1', 'k8s.pod.name': 'api-0', 'process.pid': 42, 'log.truncated': false },
  ...over,
});

describe('event timestamps', () => {
  it('parses RFC 3339 with nanoseconds exactly and formats it back', () => {
    const t = parseRfc3339('2026-11-24T16:26:08.123456789Z')!;
    expect(t).toEqual([Date.UTC(2026, 10, 24, 16, 26, 8, 123), 456789]);
    expect(formatRfc3339(t[0], t[1])).toBe('2026-11-24T16:26:08.123456789Z');
    expect(eventTimeNs(ev())).toBe(1795537568123456789n);
  });

  it('handles offsets, short fractions and no fraction', () => {
    expect(parseRfc3339('2026-11-24T18:26:08.5+02:00')).toEqual([Date.UTC(2026, 10, 24, 16, 26, 8, 500), 0]);
    expect(parseRfc3339('2026-11-24T16:26:08Z')).toEqual([Date.UTC(2026, 10, 24, 16, 26, 8), 0]);
    expect(parseRfc3339('yesterday')).toBeNull();
    expect(parseRfc3339('2026-11-24T16:26:08.Z')).toBeNull();
  });

  it('maps severities onto the OpenTelemetry scale', () => {
    expect(severityFromText('warning')).toBe(13);
    expect(severityFromText('E')).toBe(17);
    expect(severityFromText('nonsense')).toBe(0);
    expect(severityFromSyslog(3)).toEqual(['ERR', 17]);
    expect(severityFromSyslog(9)).toEqual(['', 0]);
  });
});

describe('wire codec', () => {
  it('round-trips an event through one-event-per-message JSON', () => {
    const e = ev();
    const text = encodeEvent(e);
    expect(JSON.parse(text)).toMatchObject({ timestamp: '2026-11-24T16:26:08.123456789Z', severity_number: 13, body: e.body });
    const back = decodeMessage(text, 0);
    expect(back.errors).toEqual([]);
    expect(back.events).toEqual([e]);
  });

  it('round-trips newline-delimited framing and reports bad lines with their numbers', () => {
    const a = ev({ body: 'a' });
    const b = ev({ body: 'b', attributes: {} });
    const value = encodeNdjson([a, b]) + '{"body": "cut mid-obj\n[1,2]\n';
    const r = decodeMessage(Buffer.from(value), 0);
    expect(r.events.map((x) => x.body)).toEqual(['a', 'b']);
    expect(r.errors.map((x) => x.line)).toEqual([3, 4]);
    expect(r.errors[1]!.reason).toMatch(/not a JSON object/);
  });

  it('refuses a severity_number that is not a 32-bit whole number, with the reason (the archive column is INTEGER)', () => {
    const lines = [9.5, 99_999_999_999, -3_000_000_000, 17, 99].map((n) => `{"body":"s${n}","severity_number":${n}}`);
    const r = decodeMessage(lines.join('\n'), 0);
    expect(r.events.map((e) => e.severityNumber)).toEqual([17, 99]);
    expect(r.errors.map((x) => x.line)).toEqual([1, 2, 3]);
    expect(r.errors[0]!.reason).toMatch(/severity_number 9\.5 is not a whole number within 32 bits/);
  });

  it('leaves out fields that hold their default and reads them back as the defaults', () => {
    const e = ev({ observedMs: Date.UTC(2026, 10, 24, 16, 26, 8, 123), observedNs: 456789, severityText: '', severityNumber: 0 });
    const text = encodeEvent(e);
    expect(Object.keys(JSON.parse(text))).toEqual(['timestamp', 'body', 'attributes']);
    expect(decodeMessage(text, 0).events).toEqual([e]);
    // any one field off its default is written
    expect(Object.keys(JSON.parse(encodeEvent({ ...e, observedNs: 456790 })))).toContain('observed_timestamp');
    expect(Object.keys(JSON.parse(encodeEvent({ ...e, severityText: 'X' })))).toContain('severity_text');
    expect(Object.keys(JSON.parse(encodeEvent({ ...e, severityNumber: 1 })))).toContain('severity_number');
  });

  it('NdjsonEncoder writes the same bytes as encodeNdjson, growing past its first buffer, multi-byte text included', () => {
    const events = Array.from({ length: 300 }, (_, i) => ev({ body: `${i} ${'é€😀'.repeat(i)} "q"`, attributes: { n: i } }));
    const enc = new NdjsonEncoder(64);
    for (const e of events.slice(0, 100)) enc.add(e);
    expect(enc.count).toBe(100);
    const first = enc.take();
    expect(first.count).toBe(100);
    expect(first.payload.toString('utf8')).toBe(encodeNdjson(events.slice(0, 100)));
    expect(enc.bytes).toBe(0);
    for (const e of events.slice(100)) enc.add(e);
    const second = enc.take();
    expect(second.payload.equals(Buffer.from(encodeNdjson(events.slice(100))))).toBe(true);
    expect(decodeMessage(Buffer.concat([first.payload, second.payload]), 0).events).toEqual(events);
  });

  it('NdjsonEncoder escapes bodies exactly as JSON.stringify and never reuses stale attribute JSON', () => {
    const bodies = ['plain', 'quote " and \\ backslash', 'ctl \u0001\t\n', 'pair 😀', 'lone \ud800 high', 'lone \udc00 low', '\u007f del', ''];
    const shared = { 'host.name': 'a', n: 1 } as Record<string, string | number | boolean>;
    const events: LogEvent[] = [];
    for (const b of bodies) events.push(ev({ body: b, attributes: shared }));
    const enc = new NdjsonEncoder();
    const lines: string[] = [];
    for (const e of events) {
      enc.add(e);
      lines.push(enc.take().payload.toString('utf8'));
    }
    // one attributes object changed in place between events, then a copy with equal content, then fewer keys
    shared['host.name'] = 'b';
    enc.add(ev({ attributes: shared }));
    enc.add(ev({ attributes: { ...shared } }));
    enc.add(ev({ attributes: { 'host.name': 'b' } }));
    enc.add(ev({ attributes: { 'host.name': 'b', n: true } }));
    const tail = enc.take().payload.toString('utf8').split('\n').slice(0, -1);
    expect(lines.map((l) => JSON.parse(l).body)).toEqual(bodies);
    for (let i = 0; i < events.length; i++) expect(lines[i]).toBe(`{"timestamp":${JSON.stringify(formatRfc3339(events[i]!.timeMs, events[i]!.timeNs))},"observed_timestamp":${JSON.stringify(formatRfc3339(events[i]!.observedMs, events[i]!.observedNs))},"severity_text":"WARN","severity_number":13,"body":${JSON.stringify(bodies[i])},"attributes":{"host.name":"a","n":1}}\n`);
    expect(tail.map((l) => JSON.parse(l).attributes)).toEqual([{ 'host.name': 'b', n: 1 }, { 'host.name': 'b', n: 1 }, { 'host.name': 'b' }, { 'host.name': 'b', n: true }]);
  });

  it('keeps an attribute named __proto__ as an attribute, through decoding and cloneEvent', () => {
    const r = decodeMessage('{"body":"x","attributes":{"__proto__":"p","a":{"b":1}}}', 0);
    const a = r.events[0]!.attributes;
    expect(Object.getOwnPropertyDescriptor(a, '__proto__')?.value).toBe('p');
    expect(Object.getPrototypeOf(a)).toBe(Object.prototype);
    expect(a.a).toBe('{"b":1}');
    const c = cloneEvent(r.events[0]!);
    expect(Object.getOwnPropertyDescriptor(c.attributes, '__proto__')?.value).toBe('p');
    expect(c.attributes).not.toBe(a);
    expect(JSON.parse(encodeEvent(c)).attributes).toEqual(JSON.parse('{"__proto__":"p","a":"{\\"b\\":1}"}'));
  });

  it('uses the fallback time when a record has no timestamp', () => {
    const r = decodeMessage('{"body":"x"}', 1_700_000_000_000);
    expect(r.events[0]!.timeMs).toBe(1_700_000_000_000);
    expect(r.events[0]!.attributes).toEqual({});
  });
});

describe('UTF-8 decoding', () => {
  it('replaces invalid bytes and flags them, but not a literal U+FFFD', () => {
    expect(decodeUtf8(Buffer.from([0x61, 0xff, 0x62]))).toEqual({ text: 'a\uFFFDb', invalid: true });
    expect(decodeUtf8(Buffer.from('ok \uFFFD', 'utf8'))).toEqual({ text: 'ok \uFFFD', invalid: false });
    expect(decodeUtf8(Buffer.from('plain'))).toEqual({ text: 'plain', invalid: false });
  });
});
