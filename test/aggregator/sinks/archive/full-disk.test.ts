// A full disk under the archive: a real tmpfs of 256 KiB (needs root for mount; skipped otherwise).
// Flushes fail with ENOSPC and are retried (logged), nothing is acknowledged meanwhile, so the Kafka
// source pauses its partition at max_inflight_bytes; once the filesystem is grown it resumes and every
// record is archived exactly once.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaBootstrap, kafkaClient, kafkaSkip, uniqueTopic, createTopic } from '../../../helpers/kafka.js';
import { produceSeq, readArchive, spawnAggregator, waitExit, waitFor, writeConfig, hourAgo } from '../../helpers.js';

const N = 20_000;
const dir = mkdtempSync(join(tmpdir(), 'flowlog-agg-full-'));
const mnt = join(dir, 'small');
mkdirSync(mnt);
const mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]).status === 0;

describe.skipIf(kafkaSkip() || !mounted)('archive on a full disk', () => {
  afterAll(() => {
    spawnSync('umount', [mnt]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('retries while the disk is full and archives everything once space returns', async () => {
    const topic = uniqueTopic('full');
    const kafka = kafkaClient();
    await createTopic(topic, 1);
    const config = writeConfig(
      dir,
      `sources:
  in:
    type: kafka
    bootstrap_servers: ${kafkaBootstrap()}
    group_id: full-${topic}
    topics: [${topic}]
    max_inflight_bytes: 1048576
log: {level: debug}
sinks:
  cold:
    type: archive
    inputs: [in]
    path: ./small/archive
    catalog_path: ./catalog.sqlite
    max_file_age_ms: 300
`,
    );
    const producer = kafka.producer();
    await producer.connect();
    await produceSeq(producer, topic, 0, N, 20, hourAgo(30), 1);
    await producer.disconnect();
    const log = join(dir, 'agg.log');
    const child = spawnAggregator(config, log);
    try {
      const logText = () => {
        try {
          return readFileSync(log, 'utf8');
        } catch {
          return '';
        }
      };
      await waitFor(() => /archive flush failed; retrying.*(No space|ENOSPC|space left)/i.test(logText()), 60_000, 'a flush failing on the full disk');
      // nothing is acknowledged while the disk is full: the source pauses its partition (bounded memory)
      await waitFor(() => logText().includes('partition paused: sinks are behind'), 60_000, 'the partition to pause');
      expect(spawnSync('mount', ['-o', 'remount,size=64m', mnt]).status).toBe(0);
      await waitFor(async () => (await readArchive(join(mnt, 'archive'), ['kafka_offset'])).length >= N, 90_000, 'all records after space returned');
    } finally {
      child.kill('SIGTERM');
      await waitExit(child);
    }
    expect(readFileSync(log, 'utf8')).toContain('partitions resumed');
    const rows = await readArchive(join(mnt, 'archive'), ['attributes']);
    const seen = new Set(rows.map((r) => JSON.parse(r.attributes as string).seq as number));
    expect(rows.length).toBe(N);
    expect(seen.size).toBe(N);
  }, 180_000);
});
