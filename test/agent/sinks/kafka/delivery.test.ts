// The Kafka sink against the real broker: routing by topic template, keys, headers, every compression
// codec, per-key order, dead-lettering of records the broker can never take, and retrying (not
// dropping) while the broker is unreachable.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kafkaSinkConfig } from '../../../../agent/sinks/kafka/config.js';
import { KafkaSink } from '../../../../agent/sinks/kafka/sink.js';
import { Channel } from '../../../../core/channel.js';
import type { AckStatus, EventBatch } from '../../../../core/component.js';
import { newEvent } from '../../../../core/event.js';
import { memoryLogger } from '../../../../core/telemetry/logger.js';
import { Metrics } from '../../../../core/telemetry/metrics.js';
import { freePort } from '../../../kafka/broker.js';
import { consumeAll } from '../../../helpers/consume.js';
import { kafkaBootstrap, kafkaClient, kafkaSkip, uniqueTopic } from '../../../helpers/kafka.js';

function setup(options: Record<string, unknown>) {
  const cfg = kafkaSinkConfig.parse(options);
  const dataDir = mkdtempSync(join(tmpdir(), 'flowlog-sink-'));
  const sink = new KafkaSink(cfg, { configDir: dataDir, dataDir });
  const metrics = new Metrics();
  const input = new Channel<EventBatch>({ capacity: 4 });
  const ac = new AbortController();
  const acks: AckStatus[] = [];
  const done = sink.run({ name: 'out', signal: ac.signal, log: memoryLogger(), metrics, dataDir, input });
  return { sink, metrics, input, ac, acks, done, dataDir };
}

describe.skipIf(kafkaSkip())('kafka sink delivery', () => {
  for (const compression of ['none', 'gzip', 'lz4', 'snappy'] as const) {
    it(`routes by topic template and key, keeps per-key order, with ${compression} compression`, async () => {
      const prefix = uniqueTopic(`route-${compression}`);
      const s = setup({
        bootstrap_servers: kafkaBootstrap(),
        topic: `${prefix}.{{ k8s.namespace.name }}`,
        default_topic: `${prefix}.default`,
        key_field: 'host.name',
        framing: 'newline_delimited',
        events_per_message: 7,
        compression,
        headers: { origin: 'flowlog', ns: '{{ k8s.namespace.name }}' },
      });
      const N = 3000;
      for (let i = 0; i < N; i += 500) {
        const events = [];
        for (let j = i; j < i + 500; j++) {
          const attrs: Record<string, string> = { 'host.name': `h${j % 3}` };
          if (j % 5 !== 0) attrs['k8s.namespace.name'] = j % 2 ? 'web' : 'db';
          events.push(newEvent(`seq=${j}`, attrs));
        }
        await s.input.send({ events, ack: (st) => s.acks.push(st) });
      }
      s.input.close();
      await s.done;
      expect(s.acks).toEqual(Array(6).fill('delivered'));
      const msgs = await consumeAll(kafkaBootstrap(), [new RegExp(`^${prefix.replace(/[.-]/g, '\\$&')}\\.`)], { events: N });
      const seen = new Map<number, number>();
      const lastByKey = new Map<string, number>();
      for (const m of msgs) {
        const ns = m.topic.slice(prefix.length + 1);
        for (const line of m.value.toString().split('\n')) {
          const ev = JSON.parse(line);
          const seq = Number(/seq=(\d+)/.exec(ev.body)![1]);
          seen.set(seq, (seen.get(seq) ?? 0) + 1);
          expect(ns).toBe(ev.attributes['k8s.namespace.name'] ?? 'default');
          expect(m.key).toBe(ev.attributes['host.name']);
          // one key → one partition of its topic → events of a key arrive in order
          const k = `${m.topic}/${m.key}`;
          expect(seq).toBeGreaterThan(lastByKey.get(k) ?? -1);
          lastByKey.set(k, seq);
        }
        expect(m.headers.origin).toBe('flowlog');
        if (ns === 'default') expect(m.headers.ns).toBeUndefined();
        else expect(m.headers.ns).toBe(ns);
      }
      expect(seen.size).toBe(N);
      expect([...seen.values()].every((c) => c === 1)).toBe(true);
      expect(s.metrics.valueOf('flowlog_sink_events_total', { component: 'out' })).toBe(N);
    });
  }

  it('sends records over max_message_bytes, and records the broker refuses as too large, to the dead-letter file', async () => {
    const topic = uniqueTopic('dead');
    const s = setup({
      bootstrap_servers: kafkaBootstrap(),
      topic,
      framing: 'single',
      max_message_bytes: 4_000_000, // above the broker's own 1 MiB limit, so the broker refuses the big one
      batch: { max_bytes: 900_000 },
    });
    const events = [
      newEvent('seq=0 small'),
      newEvent('seq=1 ' + 'x'.repeat(2_000_000)), // the broker says MESSAGE_TOO_LARGE
      newEvent('seq=2 small'),
    ];
    await s.input.send({ events, ack: (st) => s.acks.push(st) });
    s.input.close();
    await s.done;
    expect(s.acks).toEqual(['delivered']);
    const dead = readFileSync(join(s.dataDir, 'out', 'dead-letter.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(dead).toHaveLength(1);
    expect(dead[0].reason).toMatch(/too large/);
    expect(JSON.parse(dead[0].value).body.startsWith('seq=1 ')).toBe(true);
    expect(s.metrics.valueOf('flowlog_sink_dead_letter_events_total', { component: 'out' })).toBe(1);
    const msgs = await consumeAll(kafkaBootstrap(), [topic], { events: 2 });
    expect(msgs.map((m) => JSON.parse(m.value.toString()).body)).toEqual(['seq=0 small', 'seq=2 small']);
  });

  it('splits requests the broker refuses as too large and caps later ones lower: everything delivered in order, nothing dead-lettered', async () => {
    const topic = uniqueTopic('cap');
    // the topic's own max.message.bytes (200 kB) is far below the sink's 2 MB requests
    const admin = kafkaClient().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '200000' }] }], waitForLeaders: true });
    await admin.disconnect();
    const s = setup({ bootstrap_servers: kafkaBootstrap(), topic, framing: 'newline_delimited', events_per_message: 32, batch: { max_bytes: 2_000_000 } });
    const N = 4000;
    for (let i = 0; i < N; i += 1000) {
      const events = [];
      for (let j = i; j < i + 1000; j++) events.push(newEvent(`seq=${j} ${'z'.repeat(900)}`));
      await s.input.send({ events, ack: (st) => s.acks.push(st) });
    }
    s.input.close();
    await s.done;
    expect(s.acks).toEqual(Array(4).fill('delivered'));
    expect(s.metrics.valueOf('flowlog_sink_dead_letter_events_total', { component: 'out' }) ?? 0).toBe(0);
    const cap = s.metrics.valueOf('flowlog_sink_request_cap_bytes', { component: 'out' })!;
    expect(cap).toBeLessThanOrEqual(200_000);
    expect(cap).toBeGreaterThanOrEqual(64 * 1024);
    const msgs = await consumeAll(kafkaBootstrap(), [topic], { events: N });
    const seqs = msgs.flatMap((m) => m.value.toString().split('\n').map((l) => Number(/seq=(\d+)/.exec(JSON.parse(l).body)![1])));
    expect(seqs).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it('dead-letters a record over max_message_bytes without sending it', async () => {
    const topic = uniqueTopic('dead-local');
    const s = setup({ bootstrap_servers: kafkaBootstrap(), topic, framing: 'newline_delimited', max_message_bytes: 2048 });
    await s.input.send({ events: [newEvent('a'), newEvent('y'.repeat(5000)), newEvent('b')], ack: (st) => s.acks.push(st) });
    s.input.close();
    await s.done;
    expect(s.acks).toEqual(['delivered']);
    expect(s.metrics.valueOf('flowlog_sink_dead_letter_events_total', { component: 'out' })).toBe(1);
    expect(s.metrics.valueOf('flowlog_sink_retries_total', { component: 'out' }) ?? 0).toBe(0);
    const msgs = await consumeAll(kafkaBootstrap(), [topic], { events: 2 });
    expect(msgs.flatMap((m) => m.value.toString().split('\n').map((l) => JSON.parse(l).body))).toEqual(['a', 'b']);
  });

  it('keeps retrying with backoff while the broker is unreachable and never acks the batch', async () => {
    const port = await freePort(); // nothing listens here
    const s = setup({
      bootstrap_servers: `127.0.0.1:${port}`,
      topic: 'never',
      connection_timeout_ms: 200,
      retry: { initial_backoff_ms: 50, max_backoff_ms: 200 },
    });
    await s.input.send({ events: [newEvent('x')], ack: (st) => s.acks.push(st) });
    const retries = () => s.metrics.valueOf('flowlog_sink_retries_total', { component: 'out' }) ?? 0;
    while (retries() < 3) await new Promise((r) => setTimeout(r, 100));
    expect(s.sink.healthy()).toBe(false);
    expect(s.metrics.valueOf('flowlog_sink_up', { component: 'out' })).toBe(0);
    s.ac.abort();
    await expect(s.done).rejects.toThrow(/stopped while retrying|aborted/);
    expect(s.acks).toEqual(['rejected']);
  });
});
