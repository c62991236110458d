// Routing: the structured matcher and the router's fan-out and acknowledgement rules (no Kafka
// involved: batches are built in memory, sinks are in-memory ports recording what they receive).
import { describe, expect, it } from 'vitest';
import { newEvent, type LogEvent } from '../../core/event.js';
import { Router, sinkMatchers, type RejectedRecord, type SinkPort } from '../../aggregator/router.js';
import { compileCondition, conditionSchema } from '../../aggregator/routes/matcher.js';
import { routesSchema } from '../../aggregator/routes/config.js';
import type { AggBatch } from '../../aggregator/types.js';

function ev(body: string, sev: number, attrs: Record<string, string> = {}): LogEvent {
  return { ...newEvent(body, attrs), severityNumber: sev };
}

describe('condition matcher', () => {
  it('matches severity, body, attributes and combinators', () => {
    const c = conditionSchema.parse({
      all: [{ severity_at_least: 'warn' }, { any: [{ attribute: 'k8s.namespace.name', prefix: 'prod-' }, { body_contains: 'panic' }] }, { not: { attribute: 'team', equals: 'qa' } }],
    });
    const m = compileCondition(c);
    expect(m(ev('x', 17, { 'k8s.namespace.name': 'prod-eu' }))).toBe(true);
    expect(m(ev('x', 9, { 'k8s.namespace.name': 'prod-eu' }))).toBe(false);
    expect(m(ev('kernel panic', 13, {}))).toBe(true);
    expect(m(ev('kernel panic', 13, { team: 'qa' }))).toBe(false);
    expect(m(ev('x', 21, { 'k8s.namespace.name': 'dev' }))).toBe(false);
  });

  it('rejects malformed conditions', () => {
    expect(conditionSchema.safeParse({ attribute: 'a' }).success).toBe(false);
    expect(conditionSchema.safeParse({ attribute: 'a', equals: 'x', prefix: 'y' }).success).toBe(false);
    expect(conditionSchema.safeParse({ severity_at_least: 'loud' }).success).toBe(false);
    expect(routesSchema.safeParse({ r: { sinks: [] } }).success).toBe(false);
  });
});

describe('router', () => {
  function setup(routes: unknown) {
    const got = new Map<string, AggBatch[]>();
    const ports: SinkPort[] = ['cold', 'alerts', 'search'].map((name) => ({
      name,
      send: async (b: AggBatch) => void got.set(name, [...(got.get(name) ?? []), b]),
    }));
    const rejected: RejectedRecord[] = [];
    const router = new Router(ports, sinkMatchers(routesSchema.parse(routes), ['cold', 'alerts', 'search']), async (r) => void rejected.push(...r), {
      routed: () => {},
      unrouted: () => {},
    });
    return { got, rejected, router };
  }

  it('sends each record to every sink of every route it matches; unnamed sinks get everything', async () => {
    const { got, router } = setup({ errors: { condition: { severity_at_least: 'error' }, sinks: ['alerts'] }, prod: { condition: { attribute: 'env', equals: 'prod' }, sinks: ['search', 'alerts'] } });
    const events = [ev('a', 9, { env: 'dev' }), ev('b', 17, { env: 'dev' }), ev('c', 9, { env: 'prod' })];
    let status = '';
    await router.route({ events, origin: { topic: 't', partition: 0, offsets: [5, 6, 7] }, ack: (s) => (status = s) });
    expect(got.get('cold')![0]!.events.map((e) => e.body)).toEqual(['a', 'b', 'c']);
    expect(got.get('alerts')![0]!.events.map((e) => e.body)).toEqual(['b', 'c']);
    expect(got.get('alerts')![0]!.origin!.offsets).toEqual([6, 7]);
    expect(got.get('search')![0]!.events.map((e) => e.body)).toEqual(['c']);
    expect(status).toBe('');
    got.get('cold')![0]!.ack!('delivered');
    got.get('alerts')![0]!.ack!('delivered');
    expect(status).toBe('');
    got.get('search')![0]!.ack!('delivered');
    expect(status).toBe('delivered');
  });

  it('hands records a sink rejects to the dead letter before acknowledging the source batch', async () => {
    const { got, rejected, router } = setup({});
    const events = [ev('a', 9), ev('b', 9)];
    let status = '';
    await router.route({ events, origin: { topic: 't', partition: 2, offsets: [1, 2] }, ack: (s) => (status = s) });
    got.get('cold')![0]!.rejectEvent!(1, 'too big');
    got.get('cold')![0]!.ack!('delivered');
    got.get('alerts')![0]!.ack!('rejected', new Error('index refused'));
    got.get('search')![0]!.ack!('delivered');
    await new Promise((r) => setTimeout(r, 10));
    expect(status).toBe('delivered');
    expect(rejected.map((r) => [r.sink, r.event.body, r.offset, r.partition, r.reason])).toEqual([
      ['cold', 'b', 2, 2, 'too big'],
      ['alerts', 'a', 1, 2, 'index refused'],
      ['alerts', 'b', 2, 2, 'index refused'],
    ]);
  });
});

describe('router with undecoded batches', () => {
  function rawBatch(decoded: { n: number }): AggBatch {
    const events: LogEvent[] = [];
    const offsets: number[] = [];
    return {
      events,
      origin: { topic: 't', partition: 0, offsets, kafkaTimes: [] },
      raw: { values: [Buffer.from('{"body":"a"}\n{"body":"b"}\n')], offsets: [4], timestamps: [1], counted: () => {} },
      decode: () => {
        if (decoded.n++) return;
        events.push(ev('a', 9), ev('b', 17));
        offsets.push(4, 4);
      },
    };
  }
  const port = (name: string, got: AggBatch[], acceptsRaw: boolean): SinkPort => ({ name, acceptsRaw, send: async (b) => void got.push(b) });

  it('passes a batch on undecoded when every sink takes it whole and reads raw values', async () => {
    const got: AggBatch[] = [];
    const decoded = { n: 0 };
    const router = new Router([port('cold', got, true)], sinkMatchers(undefined, ['cold']), async () => {}, { routed: () => {}, unrouted: () => {} });
    await router.route(rawBatch(decoded));
    expect(decoded.n).toBe(0);
    expect(got[0]!.raw?.values).toHaveLength(1);
    // a sink that falls back to events decodes into the arrays the sub-batch shares
    got[0]!.decode!();
    expect(got[0]!.events.map((e) => e.body)).toEqual(['a', 'b']);
    expect(got[0]!.origin!.offsets).toEqual([4, 4]);
  });

  it('decodes before routing when a sink has a condition or takes only events', async () => {
    for (const [routes, acceptsRaw] of [
      [{ errors: { condition: { severity_at_least: 'error' }, sinks: ['cold'] } }, true],
      [{}, false],
    ] as const) {
      const got: AggBatch[] = [];
      const decoded = { n: 0 };
      const router = new Router([port('cold', got, acceptsRaw)], sinkMatchers(routesSchema.parse(routes), ['cold']), async () => {}, { routed: () => {}, unrouted: () => {} });
      await router.route(rawBatch(decoded));
      expect(decoded.n).toBe(1);
      expect(got[0]!.raw).toBeUndefined();
      expect(got[0]!.events.map((e) => e.body)).toEqual(acceptsRaw ? ['b'] : ['a', 'b']);
    }
  });
});
