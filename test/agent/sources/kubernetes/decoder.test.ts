// CRI and Docker json-file line decoding (agent/sources/kubernetes/cri.ts, docker.ts), fed through
// the real LineSplitter so byte offsets are those the tailer would see.
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../../../core/lines.js';
import type { LogEvent } from '../../../../core/event.js';
import { newStats, type DecodeContext } from '../../../../agent/sources/file/decoder.js';
import { ContainerLogDecoder } from '../../../../agent/sources/kubernetes/cri.js';

function decode(text: string | Buffer, maxMerged = 1024 * 1024, maxLine = 1024 * 1024) {
  const d = new ContainerLogDecoder(maxMerged);
  const split = new LineSplitter(maxLine);
  const ctx: DecodeContext = { observed: [1_700_000_000_000, 5], attrs: { base: 'x' }, stats: newStats() };
  const out: LogEvent[] = [];
  let start = 0;
  for (const l of split.push(Buffer.isBuffer(text) ? text : Buffer.from(text))) {
    d.push(l, start, ctx, out);
    start = l.end;
  }
  return { out, d, ctx, start };
}

const TS = '2026-11-24T16:26:08.123456789Z';

describe('CRI lines', () => {
  it('parses time with nanoseconds, stream, and the message (spaces and empty messages included)', () => {
    const { out } = decode(`${TS} stdout F hello  world\n${TS} stderr F \n${TS} stdout F\n`);
    expect(out.map((e) => [e.body, e.attributes['log.iostream']])).toEqual([
      ['hello  world', 'stdout'],
      ['', 'stderr'],
      ['', 'stdout'],
    ]);
    expect([out[0]!.timeMs, out[0]!.timeNs]).toEqual([Date.parse('2026-11-24T16:26:08.123Z'), 456789]);
    expect([out[0]!.observedMs, out[0]!.observedNs]).toEqual([1_700_000_000_000, 5]);
    expect(out[0]!.attributes.base).toBe('x');
  });

  it('merges P partials per stream into the F line, holding the position at the first partial', () => {
    const p1 = `${TS} stdout P part one, \n`;
    const { out, d } = decode(p1 + `${TS} stderr F err line\n` + `${TS} stdout P part two, \n`);
    expect(out.map((e) => e.body)).toEqual(['err line']);
    expect(d.heldFrom()).toBe(0); // a checkpoint now must point before the first stdout partial
    const rest = decode(p1 + `${TS} stderr F err line\n` + `${TS} stdout P part two, \n` + `2026-11-24T16:26:09Z stdout F end\n`);
    expect(rest.out.map((e) => e.body)).toEqual(['err line', 'part one, part two, end']);
    expect(rest.out[1]!.timeMs).toBe(Date.parse('2026-11-24T16:26:08.123Z')); // time of the first piece
    expect(rest.d.heldFrom()).toBe(-1);
  });

  it('caps merged partials at max_merged_line_bytes and flags the event truncated', () => {
    const piece = 'a'.repeat(600);
    const { out, ctx } = decode(`${TS} stdout P ${piece}\n${TS} stdout P ${piece}\n${TS} stdout F ${piece}\n${TS} stdout F next\n`, 1024);
    expect(out[0]!.body.length).toBe(1024);
    expect(out[0]!.attributes['log.truncated']).toBe(true);
    expect(out[1]!.body).toBe('next');
    expect(ctx.stats.truncated).toBe(1);
  });

  it('a raw line longer than max_line_bytes becomes one capped, truncated event (not header-less garbage)', () => {
    const huge = 'b'.repeat(5000);
    const { out, ctx, d } = decode(`${TS} stdout F ${huge}\n${TS} stdout F after\n`, 2048, 1024);
    expect(out.map((e) => [e.body.length, e.attributes['log.truncated']])).toEqual([
      [2048, true],
      [5, undefined],
    ]);
    expect(ctx.stats.parseErrors).toBe(0);
    expect(d.heldFrom()).toBe(-1);
  });

  it('malformed lines are emitted raw with the reason and counted; NUL bytes pass through', () => {
    const { out, ctx } = decode(`garbage\n${TS} stdout X msg\nnot-a-time stdout F msg\n${TS} stdin F msg\n${TS} stdout F nul\0byte\n`);
    expect(out.map((e) => e.body)).toEqual(['garbage', `${TS} stdout X msg`, 'not-a-time stdout F msg', `${TS} stdin F msg`, 'nul\0byte']);
    expect(out.slice(0, 4).every((e) => typeof e.attributes['log.parse_error'] === 'string')).toBe(true);
    expect(out[4]!.attributes['log.parse_error']).toBeUndefined();
    expect(ctx.stats.parseErrors).toBe(4);
  });
});

describe('Docker json-file lines', () => {
  const j = (log: string, stream = 'stdout', time = TS) => JSON.stringify({ log, stream, time }) + '\n';
  it('parses complete entries and merges partial ones (no trailing newline)', () => {
    const { out } = decode(j('hello\n') + j('par', 'stderr') + j('tial\n', 'stderr') + j('with \u0000 nul\n'));
    expect(out.map((e) => [e.body, e.attributes['log.iostream']])).toEqual([
      ['hello', 'stdout'],
      ['partial', 'stderr'],
      ['with \u0000 nul', 'stdout'],
    ]);
    expect(out[0]!.timeNs).toBe(456789);
  });

  it('invalid UTF-8 inside a Docker entry is replaced, flagged and counted', () => {
    const line = Buffer.concat([Buffer.from('{"log":"bad '), Buffer.from([0xc3, 0x28]), Buffer.from(' end\\n","stream":"stdout","time":"' + TS + '"}\n')]);
    const { out, ctx } = decode(line);
    expect(out.map((e) => e.body)).toEqual(['bad \uFFFD( end']);
    expect(out[0]!.attributes['log.invalid_utf8']).toBe(true);
    expect(ctx.stats.invalidUtf8).toBe(1);
  });

  it('JSON cut mid-object is emitted raw and counted; the next line parses', () => {
    const { out, ctx } = decode('{"log":"cut here\\n","stre\n' + j('fine\n'));
    expect(out.map((e) => e.body)).toEqual(['{"log":"cut here\\n","stre', 'fine']);
    expect(out[0]!.attributes['log.parse_error']).toMatch(/JSON/);
    expect(ctx.stats.parseErrors).toBe(1);
  });
});

describe('CRI timestamp parsing from bytes', () => {
  it('agrees with core parseRfc3339 on valid and invalid timestamps', async () => {
    const { parseTimestampBytes } = await import('../../../../agent/sources/kubernetes/timestamp.js');
    const { parseRfc3339 } = await import('../../../../core/event.js');
    const cases = [
      '2026-11-24T16:26:08.123456789Z',
      '2026-11-24T16:26:08Z',
      '2026-11-24T16:26:08.1Z',
      '2026-11-24T16:26:08.123456+02:00',
      '2026-11-24T16:26:08.123456789-05:30',
      '2026-02-28T23:59:59.999999999Z',
      '1999-12-31T00:00:00.5z',
      'x026-11-24T16:26:08Z',
      '2026-11-24T16:26:08.Z',
      '2026-11-24T16:26:08.123456789Zjunk',
    ];
    for (const c of cases) expect([c, parseTimestampBytes(Buffer.from(c), c.length)]).toEqual([c, parseRfc3339(c)]);
    expect(parseTimestampBytes(Buffer.from(cases[0]!), cases[0]!.length)).not.toBeNull();
    expect(parseTimestampBytes(Buffer.from(cases[7]!), cases[7]!.length)).toBeNull();
  });
});
