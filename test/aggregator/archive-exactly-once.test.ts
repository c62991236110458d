// Kafka → aggregator (child process) → archive: every record lands in the Parquet files exactly once,
// also when the aggregator is killed with SIGKILL five times while records are being produced and
// archived. Read back with hyparquet (an independent Parquet reader; the files are written by DuckDB).
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaBootstrap, kafkaClient, kafkaSkip, uniqueTopic, createTopic } from '../helpers/kafka.js';
import { parquetFiles, produceSeq, readArchive, spawnAggregator, waitExit, waitFor, writeConfig, hourAgo } from './helpers.js';

// 1,000,000 as the issue asks: the file measured 64-82 s on the shared 2-core machine;
// FLOWLOG_TEST_EO_RECORDS=N to change it (60,000 takes about 60 s, mostly the five restarts)
const N = Number(process.env.FLOWLOG_TEST_EO_RECORDS ?? 1_000_000);
const BASE_MS = hourAgo(30) + 30 * 60_000;

function catalogRecords(dir: string): number {
  const f = join(dir, 'archive', '_flowlog', 'catalog.sqlite');
  if (!existsSync(f)) return 0;
  const db = new Database(f, { readonly: true });
  try {
    return (db.prepare("SELECT coalesce(sum(records), 0) AS n FROM files WHERE state = 'done'").get() as { n: number }).n;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

describe.skipIf(kafkaSkip())('archive exactly once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlog-agg-eo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`archives ${N} records exactly once across 5 SIGKILLs of the aggregator`, async () => {
    const topic = uniqueTopic('eo');
    const kafka = kafkaClient();
    await createTopic(topic, 3);
    const config = writeConfig(
      dir,
      `data_dir: ./data
sources:
  in:
    type: kafka
    bootstrap_servers: ${kafkaBootstrap()}
    group_id: eo-${topic}
    topics: [${topic}]
    session_timeout_ms: 6000
    heartbeat_interval_ms: 500
    commit_interval_ms: 200
sinks:
  cold:
    type: archive
    inputs: [in]
    path: ./archive
    partition_by: [{attribute: service.name, key: service}]
    max_file_age_ms: 400
    max_file_bytes: 2000000
`,
    );
    const producer = kafka.producer();
    await producer.connect();
    let child = spawnAggregator(config, join(dir, 'agg-0.log'));
    // produce in chunks while killing the aggregator: single-framed first, then newline-delimited
    const at = (k: number) => Math.round((k * N) / 6);
    for (let k = 0; k < 6; k++) {
      await produceSeq(producer, topic, at(k), at(k + 1), k === 0 ? 1 : 25, BASE_MS, 3);
      if (k < 5) {
        // let it archive some of the chunk, then kill it mid-flight
        const before = catalogRecords(dir);
        await waitFor(() => catalogRecords(dir) > before, 60_000, 'the aggregator to archive something');
        child.kill('SIGKILL');
        await waitExit(child);
        child = spawnAggregator(config, join(dir, `agg-${k + 1}.log`));
      }
    }
    await producer.disconnect();
    await waitFor(() => catalogRecords(dir) >= N, 80_000 + N / 5, `${N} records in the catalog`);
    child.kill('SIGTERM');
    expect(await waitExit(child)).toBe(0);

    const rows = await readArchive(join(dir, 'archive'), ['time', 'body', 'attributes', 'kafka_offset']);
    const seen = new Uint8Array(N);
    let dupes = 0;
    for (const r of rows) {
      const seq = JSON.parse(r.attributes as string).seq as number;
      if (seen[seq]) dupes++;
      seen[seq] = 1;
      if (seq === 12345) {
        expect(r.body).toContain('request 12345 served');
        expect((r.time as Date).getTime()).toBe(BASE_MS + 12345);
      }
    }
    expect(dupes).toBe(0);
    expect(rows.length).toBe(N);
    expect(seen.every((v) => v === 1)).toBe(true);
    // the catalog matches the files, and nothing is left in staging
    expect(catalogRecords(dir)).toBe(N);
    const db = new Database(join(dir, 'archive', '_flowlog', 'catalog.sqlite'), { readonly: true });
    const catalogued = (db.prepare('SELECT path FROM files').all() as { path: string }[]).map((r) => join(dir, 'archive', r.path)).sort();
    db.close();
    expect(parquetFiles(join(dir, 'archive'))).toEqual(catalogued);
    const staging = join(dir, 'archive', '_flowlog', 'staging');
    expect(existsSync(staging) ? readdirSync(staging) : []).toEqual([]);
  }, 240_000 + N / 2);
});
