import { describe, expect, it } from 'vitest';
import { frame, type FramedValue } from '../../../../agent/sinks/kafka/framing.js';
import { parseTemplate, sanitizeTopic } from '../../../../agent/sinks/kafka/template.js';
import { kafkaSinkConfig } from '../../../../agent/sinks/kafka/config.js';
import { Grouper, parseGroup } from '../../../../agent/routing.js';
import { newEvent } from '../../../../core/event.js';

const lines = (n: number, width = 10) => Buffer.from(Array.from({ length: n }, (_, i) => `{"i":${String(i).padStart(width, '0')}}\n`).join(''));

function run(payload: Buffer, method: 'single' | 'newline_delimited', per: number, maxBytes: number) {
  const out: FramedValue[] = [];
  const big: Buffer[] = [];
  frame(payload, { method, eventsPerMessage: per, maxBytes }, out, big);
  return { out, big };
}

describe('kafka framing', () => {
  it('single framing makes one message per NDJSON line, without the newline', () => {
    const { out, big } = run(lines(5), 'single', 64, 1000);
    expect(out.map((v) => v.value.toString())).toEqual([0, 1, 2, 3, 4].map((i) => `{"i":${String(i).padStart(10, '0')}}`));
    expect(out.every((v) => v.count === 1)).toBe(true);
    expect(big).toEqual([]);
  });

  it('newline_delimited packs events_per_message lines per value and keeps every line once', () => {
    const { out } = run(lines(130), 'newline_delimited', 64, 1 << 20);
    expect(out.map((v) => v.count)).toEqual([64, 64, 2]);
    const all = out.map((v) => v.value.toString()).join('\n').split('\n');
    expect(all).toHaveLength(130);
    expect(all[129]).toBe('{"i":0000000129}');
    expect(out.every((v) => !v.value.toString().endsWith('\n'))).toBe(true);
  });

  it('newline_delimited closes a value before it passes maxBytes', () => {
    // each line is 16 bytes: two make a 33-byte value, a third would make 50 > 40
    const { out } = run(lines(7), 'newline_delimited', 64, 40);
    expect(out.map((v) => v.count)).toEqual([2, 2, 2, 1]);
    expect(out.every((v) => v.value.length <= 40)).toBe(true);
  });

  it('a single line over maxBytes is reported as oversized, the others still framed', () => {
    const p = Buffer.from('{"a":1}\n' + '{"big":"' + 'x'.repeat(100) + '"}\n' + '{"b":2}\n');
    const { out, big } = run(p, 'newline_delimited', 64, 50);
    expect(big.map((b) => b.length)).toEqual([110]);
    expect(out.map((v) => v.value.toString())).toEqual(['{"a":1}', '{"b":2}']);
  });
});

describe('kafka topic templates and routing groups', () => {
  it('renders fields from group values and reports missing ones', () => {
    const t = parseTemplate('logs.{{ k8s.namespace.name }}-{{host.name}}');
    expect(t.fields).toEqual(['k8s.namespace.name', 'host.name']);
    expect(t.render({ 'k8s.namespace.name': 'web', 'host.name': 'h1' })).toBe('logs.web-h1');
    expect(t.render({ 'host.name': 'h1' })).toBeNull();
    expect(parseTemplate('plain').render({})).toBe('plain');
    expect(() => parseTemplate('logs.{{ oops')).toThrow(/unbalanced/);
    expect(sanitizeTopic('logs.a/b c')).toBe('logs.a_b_c');
  });

  it('the config refuses a templated topic without default_topic, and unknown keys', () => {
    const base = { bootstrap_servers: '127.0.0.1:9092' };
    expect(kafkaSinkConfig.safeParse({ ...base, topic: 'logs.{{ a }}' }).success).toBe(false);
    expect(kafkaSinkConfig.safeParse({ ...base, topic: 'logs.{{ a }}', default_topic: 'logs' }).success).toBe(true);
    expect(kafkaSinkConfig.safeParse({ ...base, topic: 'x', bogus: 1 }).success).toBe(false);
    expect(kafkaSinkConfig.safeParse({ ...base, topic: 'x', sasl: { mechanism: 'plain', username: 'u' } }).success).toBe(false);
  });

  it('groups events by the routing fields, in order, and the group text round-trips', () => {
    const g = new Grouper(['ns', 'host']);
    const evs = [
      newEvent('1', { ns: 'a', host: 'h' }),
      newEvent('2', { ns: 'b', host: 'h' }),
      newEvent('3', { ns: 'a', host: 'h' }),
      newEvent('4', { host: 'h' }),
    ];
    const groups = g.split(evs);
    expect(groups.map(([k, es]) => [parseGroup(k), es.map((e) => e.body)])).toEqual([
      [{ host: 'h', ns: 'a' }, ['1', '3']],
      [{ host: 'h', ns: 'b' }, ['2']],
      [{ host: 'h' }, ['4']],
    ]);
    expect(new Grouper([]).split(evs)).toEqual([['{}', evs]]);
  });
});
