// Bad input through the real broker: non-JSON and truncated messages, a bad line inside an NDJSON
// message, an empty value and a record larger than the archive's max_record_bytes go to the dead
// letter topic with the reason in headers; the good records are archived. A record without a timestamp
// takes the Kafka message timestamp; one far in the future is filed under the Kafka timestamp's hour.
// The aggregator's /metrics and /health report it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '../../core/codec.js';
import { httpGet, metricValue } from '../helpers/agent-process.js';
import { kafkaBootstrap, kafkaClient, kafkaSkip, uniqueTopic } from '../helpers/kafka.js';
import { makeEvent, readArchive, spawnAggregator, waitExit, waitFor, writeConfig } from './helpers.js';

describe.skipIf(kafkaSkip())('aggregator bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlog-agg-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('dead-letters what cannot be archived, with reasons; archives the rest', async () => {
    const topic = uniqueTopic('bad');
    const dlqTopic = `${topic}-dlq`;
    const kafka = kafkaClient();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }, { topic: dlqTopic, numPartitions: 1 }] });
    await admin.disconnect();
    const base = Date.UTC(2026, 10, 24, 8);
    const kafkaTs = Date.UTC(2026, 10, 24, 7, 15); // message timestamp used below
    const good1 = encodeEvent(makeEvent(1, base));
    const good2 = encodeEvent(makeEvent(2, base));
    const big = encodeEvent({ ...makeEvent(3, base), body: 'x'.repeat(5000) });
    const future = encodeEvent({ ...makeEvent(4, base), timeMs: Date.UTC(2031, 0, 1) });
    const noTs = JSON.stringify({ body: 'no timestamp here', attributes: { seq: 5 } });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { value: good1, timestamp: String(kafkaTs) },
        { value: 'this is not json', timestamp: String(kafkaTs) },
        { value: good2.slice(0, 40), timestamp: String(kafkaTs) },
        { value: `${good2}\n{"broken":\n`, timestamp: String(kafkaTs) },
        { value: '', timestamp: String(kafkaTs) },
        { value: big, timestamp: String(kafkaTs) },
        { value: future, timestamp: String(kafkaTs) },
        { value: noTs, timestamp: String(kafkaTs) },
      ],
    });
    await producer.disconnect();
    const config = writeConfig(
      dir,
      `sources:
  in:
    type: kafka
    bootstrap_servers: ${kafkaBootstrap()}
    group_id: bad-${topic}
    topics: [${topic}]
    dead_letter: {topic: ${dlqTopic}}
sinks:
  cold:
    type: archive
    inputs: [in]
    path: ./archive
    max_file_age_ms: 300
    max_record_bytes: 2048
`,
    );
    const child = spawnAggregator(config, join(dir, 'agg.log'));
    const dead: { value: string; headers: Record<string, string> }[] = [];
    const consumer = kafka.consumer({ groupId: `dlq-reader-${topic}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [dlqTopic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        dead.push({ value: message.value?.toString() ?? '', headers });
      },
    });
    try {
      await waitFor(() => dead.length >= 5, 60_000, 'five dead letters');
      await waitFor(async () => (await readArchive(join(dir, 'archive'))).length >= 4, 60_000, 'four archived records');
      // the API the aggregator logged (port 0 in the test config: a free one)
      const listening = readFileSync(join(dir, 'agg.log'), 'utf8')
        .split('\n')
        .map((l) => (l.startsWith('{') ? (JSON.parse(l) as { msg?: string; address?: string }) : {}))
        .find((r) => r.msg === 'api listening');
      const port = Number(listening?.address?.split(':').pop());
      expect(listening?.address).toMatch(/^127\.0\.0\.1:\d+$/);
      const health = await httpGet(port, '/health');
      expect([health.status, JSON.parse(health.body)]).toEqual([200, { status: 'ok' }]);
      let metrics = '';
      await waitFor(async () => metricValue((metrics = (await httpGet(port, '/metrics')).body), 'flowlog_archive_records_total', { component: 'cold' }) === 4, 30_000, 'archive_records_total 4');
      expect(metricValue(metrics, 'flowlog_archive_rejected_total', { component: 'cold' })).toBe(1);
      expect(metricValue(metrics, 'flowlog_source_events_total', { component: 'in' })).toBeGreaterThanOrEqual(5);
    } finally {
      await consumer.disconnect();
      child.kill('SIGTERM');
      await waitExit(child);
    }
    const reasons = dead.map((d) => d.headers['flowlog.reason']!);
    expect(dead.find((d) => d.value === 'this is not json')?.headers['flowlog.reason']).toMatch(/not a JSON event/);
    expect(dead.find((d) => d.value === good2.slice(0, 40))?.headers['flowlog.reason']).toMatch(/not a JSON event/);
    expect(dead.find((d) => d.value === '{"broken":')?.headers['flowlog.reason']).toMatch(/line 2/);
    expect(reasons).toContain('empty message value');
    const bigDead = dead.find((d) => d.headers['flowlog.reason']!.includes('max_record_bytes'));
    expect(bigDead?.headers['flowlog.sink']).toBe('cold');
    expect(bigDead?.headers['flowlog.source.topic']).toBe(topic);
    expect(JSON.parse(bigDead!.value).body).toBe('x'.repeat(5000));
    for (const d of dead) expect(d.headers['flowlog.source.offset']).toMatch(/^\d+$/);
    expect(dead).toHaveLength(5);

    const rows = await readArchive(join(dir, 'archive'));
    const bodies = rows.map((r) => r.body as string).sort();
    expect(rows).toHaveLength(4);
    expect(bodies.filter((b) => b.startsWith('request 1 ') || b.startsWith('request 2 '))).toHaveLength(2);
    const nots = rows.find((r) => r.body === 'no timestamp here')!;
    expect((nots.time as Date).getTime()).toBe(kafkaTs);
    const fut = rows.find((r) => (r.body as string).startsWith('request 4 '))!;
    expect((fut.time as Date).getTime()).toBe(Date.UTC(2031, 0, 1));
    expect(relative(join(dir, 'archive'), fut._file as string)).toMatch(/^dt=2026-11-24\/hour=07\//);
  }, 120_000);
});
