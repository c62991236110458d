// Events of one file share the file's attributes object (copy-on-write, core/event.ts): a decoder
// that flags one event (truncated, invalid UTF-8, a parse error, a multiline join) must copy first,
// so no other event, and not the file's object itself, ever sees the flag.
import { describe, expect, test } from 'vitest';
import { MultilineDecoder } from '../../../../agent/sources/file/multiline.js';
import { multilineConfig } from '../../../../agent/sources/file/config.js';
import { PlainDecoder, newStats, type DecodeContext, type LineDecoder } from '../../../../agent/sources/file/decoder.js';
import { ContainerLogDecoder } from '../../../../agent/sources/kubernetes/cri.js';
import type { LogEvent } from '../../../../core/event.js';
import { LineSplitter } from '../../../../core/lines.js';

function decode(dec: LineDecoder, input: Buffer, maxLine = 1024): { events: LogEvent[]; ctx: DecodeContext; before: string } {
  const attrs = { 'host.name': 'h1', 'log.file.path': '/var/log/app.log' };
  const ctx: DecodeContext = { observed: [Date.now(), 0], attrs, stats: newStats() };
  const before = JSON.stringify(attrs);
  const split = new LineSplitter(maxLine);
  const events: LogEvent[] = [];
  for (const l of split.push(input)) dec.push(l, 0, ctx, events);
  dec.flush(ctx, events);
  return { events, ctx, before };
}

describe('a file\'s shared attributes are never changed through one event', () => {
  test('plain lines: a truncated and an invalid UTF-8 line get their flags, the others share the file\'s object', () => {
    const input = Buffer.concat([Buffer.from('ok 1\n' + 'x'.repeat(40) + '\nok 2\nbad '), Buffer.from([0xff]), Buffer.from('\nok 3\n')]);
    const { events, ctx, before } = decode(new PlainDecoder(), input, 16);
    expect(JSON.stringify(ctx.attrs)).toBe(before);
    const ok = events.filter((e) => e.body.startsWith('ok'));
    expect(ok).toHaveLength(3);
    for (const e of ok) expect(e.attributes).toBe(ctx.attrs);
    const cut = events.filter((e) => e.attributes['log.truncated'] === true);
    expect(cut.length).toBeGreaterThan(1);
    expect(cut.every((e) => e.attributes['host.name'] === 'h1' && e.attributes !== ctx.attrs)).toBe(true);
    const bad = events.find((e) => e.body.startsWith('bad'))!;
    expect(bad.attributes).toEqual({ ...ctx.attrs, 'log.invalid_utf8': true });
  });

  test('multiline: a join past the size cap is flagged on the joined event only', () => {
    const cfg = multilineConfig.parse({ start_pattern: '^START' });
    const lines = ['START a', '  at one', '  at two', 'START b', 'START c', ...Array.from({ length: 20 }, (_, i) => `  frame ${i} ${'y'.repeat(10)}`), 'START d'];
    const { events, ctx, before } = decode(new MultilineDecoder(new PlainDecoder(), cfg, 120), Buffer.from(lines.join('\n') + '\n'));
    expect(events.map((e) => e.body.split('\n')[0])).toEqual(['START a', 'START b', 'START c', 'START d']);
    expect(JSON.stringify(ctx.attrs)).toBe(before);
    expect(events.map((e) => e.attributes['log.truncated'] === true)).toEqual([false, false, true, false]);
    expect(events.filter((e) => e.attributes === ctx.attrs)).toHaveLength(3);
  });

  test('container logs: a line that does not parse is flagged alone', () => {
    const input = Buffer.from('2026-11-25T10:00:00.000000000Z stdout F fine\nnot a cri line\n2026-11-25T10:00:01.000000000Z stderr F also fine\n');
    const { events, ctx, before } = decode(new ContainerLogDecoder(1 << 20), input);
    expect(JSON.stringify(ctx.attrs)).toBe(before);
    expect(events.map((e) => [e.body, e.attributes['log.parse_error'] !== undefined, e.attributes['log.iostream'] ?? null])).toEqual([
      ['fine', false, 'stdout'],
      ['not a cri line', true, null],
      ['also fine', false, 'stderr'],
    ]);
  });
});
