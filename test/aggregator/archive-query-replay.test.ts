// `flowlog archive query` and `flowlog archive replay` (CLI child processes) over an archive the
// aggregator wrote from the real broker: catalog pruning by time, --where filters, --limit, the three
// formats, and replaying a time range into a Kafka topic (the agent's kafka sink) and counting it there.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localFiles } from '../../aggregator/sinks/archive/query.js';
import { encodeEvent } from '../../core/codec.js';
import { kafkaBootstrap, kafkaClient, kafkaSkip, uniqueTopic } from '../helpers/kafka.js';
import { ROOT, makeEvent, readArchive, spawnAggregator, waitExit, waitFor, writeConfig, hourAgo, hourDir } from './helpers.js';

const N = 9000;
// seq k happens at BASE + k * 1 s: records 0..3599 in BASE's hour, 3600..7199 in the next, the rest in the one after
const BASE = hourAgo(30);

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'cli', 'main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe.skipIf(kafkaSkip())('archive query and replay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlog-agg-query-'));
  const archive = join(dir, 'archive');
  const topic = uniqueTopic('q');
  const replayTopic = `${topic}-replay`;
  let config = '';
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    const kafka = kafkaClient();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }, { topic: replayTopic, numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    // records one second apart, single framing
    const msgs: { value: string; partition: number }[] = [];
    for (let k = 0; k < N; k++) {
      const e = makeEvent(k, BASE);
      e.timeMs = BASE + k * 1000;
      msgs.push({ value: encodeEvent(e), partition: k % 2 });
      if (msgs.length === 1000) await producer.send({ topic, acks: -1, messages: msgs.splice(0) });
    }
    await producer.send({ topic, acks: -1, messages: msgs.splice(0) });
    await producer.disconnect();
    config = writeConfig(
      dir,
      `sources:
  in:
    type: kafka
    bootstrap_servers: ${kafkaBootstrap()}
    group_id: q-${topic}
    topics: [${topic}]
sinks:
  cold:
    type: archive
    inputs: [in]
    path: ./archive
    partition_by: [{attribute: service.name, key: service}]
    max_file_age_ms: 300
  replay_out:
    type: kafka
    inputs: [in]
    bootstrap_servers: ${kafkaBootstrap()}
    topic: ${replayTopic}
routes:
  nothing_live:
    condition: {attribute: never.set, exists: true}
    sinks: [replay_out]
`,
    );
    const child = spawnAggregator(config, join(dir, 'agg.log'));
    await waitFor(async () => (await readArchive(archive, ['kafka_offset'])).length >= N, 60_000, 'the archive');
    child.kill('SIGTERM');
    expect(await waitExit(child)).toBe(0);
  }, 120_000);

  it('prunes files by the catalog time range', () => {
    const all = localFiles(archive, BASE, BASE + 4 * 3600_000).files;
    const hour2 = localFiles(archive, BASE + 3600_000, BASE + 2 * 3600_000).files;
    expect(all.length).toBe(15); // 3 hours × 5 services
    expect(hour2.length).toBe(5);
    for (const f of hour2) expect(f.local).toContain(hourDir(BASE + 3600_000));
  });

  it('queries a time range with a filter as ndjson, csv and table', () => {
    const from = new Date(BASE + 3600_000).toISOString();
    const to = new Date(BASE + 3600_000 + 600_000).toISOString(); // the second hour's first 10 minutes → seq 3600..4199
    const r = cli(['archive', 'query', '--dir', archive, '--from', from, '--to', to, '--where', "service = 'api' AND severity_number >= 17", '--progress']);
    expect(r.code).toBe(0);
    const events = r.out.trim().split('\n').map((l) => JSON.parse(l));
    const expected: number[] = [];
    for (let k = 3600; k < 4200; k++) if (k % 5 === 0 && k % 10 === 0) expected.push(k);
    expect(events.map((e) => e.attributes.seq)).toEqual(expected);
    expect(events[0].attributes['service.name']).toBe('api');
    expect(events[0].timestamp).toBe(new Date(BASE + expected[0]! * 1000).toISOString().replace('.000Z', '.000') + (expected[0]! % 1_000_000).toString().padStart(6, '0') + 'Z');
    expect(r.err).toMatch(/\d+\/\d+ files/);

    const csv = cli(['archive', 'query', '--dir', archive, '--from', from, '--to', to, '--format', 'csv', '--limit', '3']);
    expect(csv.code).toBe(0);
    const lines = csv.out.trim().split('\n');
    expect(lines[0]).toBe('time,severity_text,severity_number,body,attributes');
    expect(lines).toHaveLength(4);

    const table = cli(['archive', 'query', '--dir', archive, '--from', from, '--to', to, '--format', 'table', '--limit', '2']);
    expect(table.out.split('\n')[1]).toMatch(new RegExp(`^${new Date(BASE + 3600_000).toISOString().slice(0, 19)}\\.\\d{9}Z\\s+ERROR\\s+request 3600 served`));

    const bad = cli(['archive', 'query', '--dir', archive, '--from', 'yesterday-ish', '--to', 'now']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/cannot read the time/);
  }, 60_000);

  it('replays a time range into a configured Kafka sink', async () => {
    const from = new Date(BASE + 2 * 3600_000).toISOString(); // the third hour: seq 7200..8999
    const r = cli(['archive', 'replay', '--dir', archive, '--from', from, '--to', 'now', '--to-sink', 'replay_out', '-c', config]);
    expect(r.err).toMatch(/replayed 1800 of 1800 records to replay_out/);
    expect(r.code).toBe(0);
    const kafka = kafkaClient();
    const consumer = kafka.consumer({ groupId: `replay-reader-${topic}` });
    const seqs: number[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [replayTopic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        for (const line of message.value!.toString().split('\n')) if (line) seqs.push(JSON.parse(line).attributes.seq);
      },
    });
    try {
      await waitFor(() => seqs.length >= 1800, 30_000, 'replayed records');
    } finally {
      await consumer.disconnect();
    }
    expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: 1800 }, (_, i) => 7200 + i));
  }, 90_000);
});
