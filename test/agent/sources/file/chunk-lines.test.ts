// What the file source learns about the lines of a read chunk (chunk-lines.ts): the text of an ASCII
// chunk, decoded in 64 KiB pieces, and which lines need no JSON escaping (json-safe.ts, a SIMD
// kernel); the NDJSON encoder writes those bodies without testing them, so the bytes must be exactly
// what JSON.stringify gives, whatever the line holds.
import { describe, expect, test } from 'vitest';
import { PlainDecoder, newStats } from '../../../../agent/sources/file/decoder.js';
import { describeLines } from '../../../../agent/sources/file/chunk-lines.js';
import { NdjsonEncoder, encodeEvent } from '../../../../core/codec.js';
import type { LogEvent } from '../../../../core/event.js';
import { LineSplitter, type Line } from '../../../../core/lines.js';

const needsEscape = (b: Buffer) => /["\\\x00-\x1f]/.test(b.toString('latin1'));

function cut(chunks: Buffer[]): { lines: Line[]; events: LogEvent[] } {
  const split = new LineSplitter();
  const dec = new PlainDecoder();
  const ctx = { observed: [Date.now(), 0] as [number, number], attrs: {}, stats: newStats() };
  const lines: Line[] = [];
  const events: LogEvent[] = [];
  for (const c of chunks) {
    const ls = split.push(c);
    describeLines(c, ls);
    for (const l of ls) dec.push(l, 0, ctx, events);
    lines.push(...ls);
  }
  return { lines, events };
}

test('an ASCII chunk larger than one 64 KiB piece: every line gets its exact text, also one longer than a piece', () => {
  const texts = Array.from({ length: 3000 }, (_, i) => `line ${i} ` + 'x'.repeat((i * 37) % 300));
  texts[1500] = 'long ' + 'y'.repeat(100_000);
  const chunk = Buffer.from(texts.join('\n') + '\n');
  expect(chunk.length).toBeGreaterThan(4 * 64 * 1024);
  const { lines } = cut([chunk]);
  expect(lines.map((l) => l.text)).toEqual(texts);
});

describe('lines that need no JSON escaping', () => {
  const texts = [
    'plain line',
    'a "quoted" word',
    'back\\slash',
    'tab\there',
    'carriage\rreturn inside',
    `ctl \x01 and \x1f`,
    'naïve café ✓ (UTF-8, nothing to escape)',
    'x'.repeat(40) + '"' + 'y'.repeat(40), // past the first 16-byte steps
    'z'.repeat(33), // a tail shorter than one step
    '',
  ];

  test('are marked exactly when a JSON string needs no escape for them; a CRLF ending is not part of the line', () => {
    const chunk = Buffer.from(texts.join('\n') + '\r\nlast\n');
    const { lines } = cut([chunk]);
    expect(lines.map((l) => l.bytes.toString())).toEqual([...texts, 'last']);
    expect(lines.map((l) => l.jsonSafe)).toEqual(lines.map((l) => !needsEscape(l.bytes)));
    expect(lines.filter((l) => l.jsonSafe).length).toBeGreaterThan(3);
  });

  test('a line assembled across two reads is left unmarked; one with more escapes than the kernel reports marks none', () => {
    const { lines } = cut([Buffer.from('first\nsecond ha'), Buffer.from('lf\nthird\n')]);
    expect(lines.map((l) => [l.bytes.toString(), l.jsonSafe])).toEqual([
      ['first', true],
      ['second half', false],
      ['third', true],
    ]);
    const many = cut([Buffer.from('ok\n' + '"'.repeat(10_000) + '\nok too\n')]).lines;
    expect(many.map((l) => l.jsonSafe)).toEqual([false, false, false]);
  });

  test('the NDJSON of events from marked lines is byte for byte what JSON.stringify gives', () => {
    let seed = 5;
    const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const alphabet = ['a', 'b', ' ', '"', '\\', '\t', '\x01', '\x1f', 'é', '✓', '{', '}', '\r', 'ERROR'];
    const bodies = Array.from({ length: 3000 }, () => Array.from({ length: Math.floor(rnd() * 30) }, () => (rnd() < 0.9 ? 'a' : alphabet[Math.floor(rnd() * alphabet.length)]!)).join(''));
    const all = Buffer.from(bodies.join('\n') + '\n');
    const reads: Buffer[] = [];
    for (let off = 0; off < all.length; off += 4096) reads.push(Buffer.from(all.subarray(off, off + 4096)));
    const { events } = cut(reads);
    expect(events.map((e) => e.body)).toEqual(bodies.map((b) => (b.endsWith('\r') ? b.slice(0, -1) : b)));
    expect(events.filter((e) => e.rawJson).length).toBeGreaterThan(1000);
    for (const e of events) {
      const line = JSON.parse(encodeEvent(e)) as { body: string };
      expect(line.body).toBe(e.body);
      expect(encodeEvent(e)).toBe(encodeEvent({ ...e, rawJson: false }));
      expect(encodeEvent(e)).toContain(`"body":${JSON.stringify(e.body)},`);
    }
    // the NDJSON encoder copies raw bodies from the read bytes and writes the timestamp itself: the
    // same bytes as the string path, also with attributes changing mid-stream, severity and observed
    // time set, and a body replaced after the source (its raw bytes then no longer count)
    const mixed = events.map((e, i) => {
      const c = { ...e, attributes: i < 1500 ? e.attributes : { ...e.attributes, 'k8s.pod.name': `p${i % 3}` } };
      if (i % 10 === 0) Object.assign(c, { severityText: 'WARN', severityNumber: 13 });
      if (i % 15 === 0) c.observedNs = (c.observedNs + 1) % 1_000_000;
      if (i % 20 === 0) c.body = c.body + ' (edited)';
      if (i % 7 === 3) {
        // timestamps across seconds, with every digit of the fraction in use
        c.timeMs = c.observedMs = 1_795_000_000_000 + i * 1_234_567;
        c.timeNs = c.observedNs = (i * 7919) % 1_000_000;
      }
      return c;
    });
    const enc = new NdjsonEncoder(64); // grows while writing
    for (const e of mixed) enc.add(e);
    const want = mixed.map((e) => encodeEvent({ ...e, rawJson: false }) + '\n').join('');
    expect(enc.take().payload.toString()).toBe(want);
  });
});
