// Two aggregator processes in one consumer group share a topic's partitions and one archive (one
// catalog). One is killed with SIGKILL; the other takes its partitions over. Every record is archived
// exactly once (hyparquet reads the files back).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaBootstrap, kafkaClient, kafkaSkip, uniqueTopic, createTopic } from '../helpers/kafka.js';
import { produceSeq, readArchive, spawnAggregator, waitExit, waitFor, writeConfig } from './helpers.js';

const N = 30_000;
const BASE_MS = Date.UTC(2026, 10, 24, 11);

describe.skipIf(kafkaSkip())('two aggregators sharing partitions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlog-agg-two-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the survivor takes over the killed one’s partitions; nothing lost, nothing twice', async () => {
    const topic = uniqueTopic('two');
    const kafka = kafkaClient();
    await createTopic(topic, 4);
    const config = writeConfig(
      dir,
      `sources:
  in:
    type: kafka
    bootstrap_servers: ${kafkaBootstrap()}
    group_id: two-${topic}
    topics: ["/^${topic}$/"]
    session_timeout_ms: 6000
    heartbeat_interval_ms: 500
    commit_interval_ms: 200
sinks:
  cold:
    type: archive
    inputs: [in]
    path: ./archive
    max_file_age_ms: 300
`,
    );
    const catalog = () => {
      try {
        const db = new Database(join(dir, 'archive', '_flowlog', 'catalog.sqlite'), { readonly: true });
        try {
          return db.prepare("SELECT path, kafka_offsets FROM files WHERE state = 'done'").all() as { path: string; kafka_offsets: string }[];
        } finally {
          db.close();
        }
      } catch {
        return [];
      }
    };
    const logOf = (i: number) => join(dir, `agg-${i}.log`);
    const a = spawnAggregator(config, logOf(0));
    const b = spawnAggregator(config, logOf(1));
    const assigned = (i: number) => {
      try {
        const lines = readFileSync(logOf(i), 'utf8').split('\n').filter((l) => l.includes('partitions assigned'));
        const last = lines.at(-1);
        return last ? ((JSON.parse(last).assignment[topic] as number[]) ?? []) : [];
      } catch {
        return [];
      }
    };
    await waitFor(() => assigned(0).length > 0 && assigned(1).length > 0 && assigned(0).length + assigned(1).length === 4, 60_000, 'both processes to own partitions');
    const producer = kafka.producer();
    await producer.connect();
    await produceSeq(producer, topic, 0, N / 2, 10, BASE_MS, 4);
    const pidOf = (path: string) => parseInt(basename(path).split('-')[2]!, 36);
    await waitFor(() => new Set(catalog().map((f) => pidOf(f.path))).size === 2, 60_000, 'both processes to archive');

    a.kill('SIGKILL');
    await waitExit(a);
    await produceSeq(producer, topic, N / 2, N, 10, BASE_MS, 4);
    await producer.disconnect();
    await waitFor(() => assigned(1).length === 4, 60_000, 'the survivor to own all partitions');
    const countDone = () => catalog().reduce((n, f) => n + Object.values(JSON.parse(f.kafka_offsets) as Record<string, number[]>).length, 0);
    await waitFor(async () => (await readArchive(join(dir, 'archive'), ['kafka_offset'])).length >= N, 90_000, `${N} archived records`);
    b.kill('SIGTERM');
    expect(await waitExit(b)).toBe(0);
    expect(countDone()).toBeGreaterThan(0);

    const rows = await readArchive(join(dir, 'archive'), ['attributes', 'kafka_partition']);
    const seen = new Uint8Array(N);
    let dupes = 0;
    for (const r of rows) {
      const seq = JSON.parse(r.attributes as string).seq as number;
      if (seen[seq]) dupes++;
      seen[seq] = 1;
    }
    expect(dupes).toBe(0);
    expect(rows.length).toBe(N);
    // the survivor wrote records of every partition, including those the killed process had owned
    const survivorParts = new Set(rows.filter((r) => pidOf(r._file as string) === b.pid).map((r) => r.kafka_partition));
    expect(survivorParts.size).toBe(4);
  }, 240_000);
});
