// The archive's S3 backend against a real S3 API server (S3Proxy from Maven Central, SigV4 auth on):
// multipart uploads of every file, exactly once; an S3 outage (server stopped, then restarted on the
// same port and data) is retried with backoff and nothing is dropped; `flowlog archive query --s3`
// reads the bucket back.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBootstrap, kafkaClient, kafkaSkip, uniqueTopic, createTopic } from '../../../helpers/kafka.js';
import { startS3Proxy, s3proxyUnavailableReason, type RunningS3 } from '../../../s3proxy/server.js';
import { ROOT, produceSeq, spawnAggregator, waitExit, waitFor, writeConfig, hourAgo } from '../../helpers.js';

const N = 8000;
const BASE = hourAgo(30);

/** All archive rows in the bucket, read straight from S3Proxy's filesystem backend with hyparquet. */
async function bucketRows(s3: RunningS3, bucket: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  const walk = async (d: string): Promise<void> => {
    let ents;
    try {
      ents = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.parquet') && statSync(p).size > 0) {
        const b = readFileSync(p);
        rows.push(...(await parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength), columns: ['attributes'], compressors })));
      }
    }
  };
  await walk(join(s3.baseDir, bucket));
  return rows;
}

describe.skipIf(kafkaSkip() || s3proxyUnavailableReason())('archive on S3 (S3Proxy)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlog-agg-s3-'));
  let s3: RunningS3;
  beforeAll(async () => {
    s3 = await startS3Proxy();
  }, 90_000);
  afterAll(async () => {
    await s3?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads every record exactly once, through an S3 outage', async () => {
    const topic = uniqueTopic('s3');
    const bucket = `flowlog-${topic.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 60);
    const kafka = kafkaClient();
    await createTopic(topic, 2);
    const config = writeConfig(
      dir,
      `sources:
  in:
    type: kafka
    bootstrap_servers: ${kafkaBootstrap()}
    group_id: s3-${topic}
    topics: [${topic}]
sinks:
  cold:
    type: archive
    inputs: [in]
    path: ./state
    max_file_age_ms: 300
    s3:
      bucket: ${bucket}
      endpoint: ${s3.endpoint}
      prefix: logs/archive
      access_key_id: \${TEST_S3_KEY}
      secret_access_key: \${TEST_S3_SECRET}
`,
    );
    process.env.TEST_S3_KEY = s3.accessKey;
    process.env.TEST_S3_SECRET = s3.secretKey;
    const producer = kafka.producer();
    await producer.connect();
    const child = spawnAggregator(config, join(dir, 'agg.log'));
    try {
      await produceSeq(producer, topic, 0, N / 2, 20, BASE, 2);
      await waitFor(async () => (await bucketRows(s3, bucket)).length >= N / 2, 60_000, 'the first half in S3');
      // outage: the S3 server goes away while the second half arrives
      const { port, dir: s3dir, secretKey } = s3;
      await s3.stop({ keepData: true });
      await produceSeq(producer, topic, N / 2, N, 20, BASE, 2);
      await waitFor(() => /archive flush failed; retrying/.test(readFileSync(join(dir, 'agg.log'), 'utf8')), 60_000, 'a failed flush');
      s3 = await startS3Proxy({ port, dir: s3dir, secretKey });
      await waitFor(async () => (await bucketRows(s3, bucket)).length >= N, 90_000, 'all records in S3');
    } finally {
      await producer.disconnect();
      child.kill('SIGTERM');
      await waitExit(child);
    }
    const rows = await bucketRows(s3, bucket);
    const seen = new Uint8Array(N);
    let dupes = 0;
    for (const r of rows) {
      const seq = JSON.parse(r.attributes as string).seq as number;
      if (seen[seq]) dupes++;
      seen[seq] = 1;
    }
    expect(dupes).toBe(0);
    expect(rows.length).toBe(N);

    // the CLI reads the bucket back over the S3 API (files pruned by the sink's local catalog)
    const q = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'cli', 'main.ts'), 'archive', 'query', '--s3', `s3://${bucket}/logs/archive`, '--endpoint', s3.endpoint, '--catalog', join(dir, 'state', '_flowlog', 'catalog.sqlite'), '--from', new Date(BASE).toISOString(), '--to', new Date(BASE + 3600_000).toISOString(), '--where', 'severity_number >= 17'],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, AWS_ACCESS_KEY_ID: s3.accessKey, AWS_SECRET_ACCESS_KEY: s3.secretKey }, maxBuffer: 64 << 20 },
    );
    expect(q.stderr).toBe('');
    expect(q.status).toBe(0);
    expect(q.stdout.trim().split('\n')).toHaveLength(N / 10);
    // without a catalog: keys listed (ListObjectsV2) and pruned by dt/hour
    const q2 = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'cli', 'main.ts'), 'archive', 'query', '--s3', `s3://${bucket}/logs/archive`, '--endpoint', s3.endpoint, '--from', new Date(BASE).toISOString(), '--to', new Date(BASE + 3600_000).toISOString(), '--format', 'csv'],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, AWS_ACCESS_KEY_ID: s3.accessKey, AWS_SECRET_ACCESS_KEY: s3.secretKey }, maxBuffer: 64 << 20 },
    );
    expect(q2.stderr).toBe('');
    expect(q2.stdout.trim().split('\n')).toHaveLength(N + 1);
  }, 240_000);
});
