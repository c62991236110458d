// Two aggregator processes in one consumer group share a topic's partitions and one archive (one
// catalog). One is killed with SIGKILL; the other takes its partitions over. Every record is archived
// exactly once (hyparquet reads the files back).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaBootstrap, kafkaClient, kafkaSkip, uniqueTopic, createTopic } from '../helpers/kafka.js';
import { produceSeq, readArchive, spawnAggregator, waitExit, waitFor, writeConfig, hourAgo } from './helpers.js';

const N = 30_000;
const BASE_MS = hourAgo(30);

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
    const logTails = () => [0, 1].map((i) => `--- aggregator ${i} log tail ---\n${(() => { try { return readFileSync(logOf(i), 'utf8').split('\n').slice(-15).join('\n'); } catch { return '(no log)'; } })()}`).join('\n');
    const step = async (what: string, cond: () => boolean | Promise<boolean>, ms: number) => {
      try {
        await waitFor(cond, ms, what);
      } catch (e) {
        console.log(logTails());
        throw e;
      }
    };
    await step('both processes to own partitions', () => assigned(0).length > 0 && assigned(1).length > 0 && assigned(0).length + assigned(1).length === 4, 60_000);
    const producer = kafka.producer();
    await producer.connect();
    // Produce the first half in rounds until both processes have archived some of it: on a loaded
    // machine a missed heartbeat can rebalance every partition to one process for a while, and that
    // process would then archive a single round alone.
    const pidOf = (path: string) => parseInt(basename(path).split('-')[2]!, 36);
    const bothArchived = () => new Set(catalog().map((f) => pidOf(f.path))).size === 2;
    let produced = 0;
    const ROUND = 1_000;
    const firstHalfBy = Date.now() + 120_000;
    while (!bothArchived() && produced < N / 2 && Date.now() < firstHalfBy) {
      await produceSeq(producer, topic, produced, produced + ROUND, 10, BASE_MS, 4);
      produced += ROUND;
      const roundBy = Date.now() + 5_000;
      while (!bothArchived() && Date.now() < roundBy) await new Promise((r) => setTimeout(r, 200));
    }
    await step('both processes to archive', bothArchived, Math.max(0, firstHalfBy - Date.now()));

    a.kill('SIGKILL');
    await waitExit(a);
    await produceSeq(producer, topic, produced, N, 10, BASE_MS, 4);
    await producer.disconnect();
    await step('the survivor to own all partitions', () => assigned(1).length === 4, 60_000);
    const countDone = () => catalog().reduce((n, f) => n + Object.values(JSON.parse(f.kafka_offsets) as Record<string, number[]>).length, 0);
    await step(`${N} archived records`, async () => (await readArchive(join(dir, 'archive'), ['kafka_offset'])).length >= N, 90_000);
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
  }, 360_000);
});
