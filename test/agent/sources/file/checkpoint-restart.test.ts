// Restart from checkpoints: a source is stopped mid-stream and a new instance starts with the
// checkpoints the first one emitted (committed with its events, as the spool does). Together they
// must deliver every sequence number exactly once, including files rotated while no source ran.
import { appendFileSync, closeSync, openSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileConfig } from '../../../../agent/sources/file/config.js';
import { encodePosition } from '../../../../agent/sources/file/checkpoint.js';
import { FileSource } from '../../../../agent/sources/file/source.js';
import { runSource, seqs, tempDir, until, type Running } from '../harness.js';
import { Channel } from '../../../../core/channel.js';
import type { EventBatch } from '../../../../core/component.js';
import { memoryLogger } from '../../../../core/telemetry/logger.js';
import { Metrics } from '../../../../core/telemetry/metrics.js';

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function start(include: string[], checkpoints?: Map<string, string>, extra: Record<string, unknown> = {}): Running {
  const r = runSource(new FileSource(fileConfig.parse({ include, glob_interval_ms: 100, rotate_wait_ms: 200, batch_size: 50, ...extra })), { checkpoints });
  cleanup.push(() => r.stop());
  return r;
}

function lines(from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += `seq=${i} payload\n`;
  return s;
}

function expectExactlyOnce(got: number[], total: number) {
  const sorted = [...got].sort((a, b) => a - b);
  expect(sorted.length).toBe(total);
  expect(sorted.every((v, i) => v === i)).toBe(true);
}

describe('file checkpoints across restarts', () => {
  it('a restart in the middle of a growing file re-reads nothing and misses nothing', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const path = join(dir, 'app.log');
    const fd = openSync(path, 'a');
    let seq = 0;
    const timer = setInterval(() => {
      let s = '';
      for (let i = 0; i < 20; i++) s += `seq=${seq++} ${'y'.repeat(30)}\n`;
      writeSync(fd, s);
    }, 10);
    cleanup.push(() => clearInterval(timer));
    const first = start([path]);
    await until(() => first.events.length > 1500);
    await first.stop(); // mid-stream: the writer keeps going
    const firstSeqs = seqs(first.events);
    expect(first.checkpoints.size).toBe(1);
    await sleep(300);
    const second = start([path], first.checkpoints);
    await sleep(500);
    clearInterval(timer);
    closeSync(fd);
    await until(() => seqs(second.events).includes(seq - 1), 30_000, 'the last line');
    await sleep(200);
    expectExactlyOnce([...firstSeqs, ...seqs(second.events)], seq);
    // the second run started where the first one's checkpoint pointed
    expect(Math.min(...seqs(second.events))).toBe(Math.max(...firstSeqs) + 1);
  });

  it('files rotated while the source was down are found by identity and finished; the new file is read from 0', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const path = join(dir, 'app.log');
    writeFileSync(path, lines(0, 1000));
    const first = start([path]);
    await until(() => first.events.length === 1000);
    await first.stop();
    // while down: 500 more lines, then rename (not matched by include), then a new file
    appendFileSync(path, lines(1000, 1500));
    renameSync(path, path + '.1');
    writeFileSync(path, lines(1500, 1800));
    const second = start([path], first.checkpoints);
    await until(() => second.events.length >= 800, 30_000, '800 events');
    await sleep(300);
    expectExactlyOnce([...seqs(first.events), ...seqs(second.events)], 1800);
    expect(second.metrics.valueOf('flowlog_source_rotations_total', { component: 'src', kind: 'recovered' })).toBe(1);
    const rotated = second.events.find((e) => e.body.startsWith('seq=1000 '))!;
    expect(rotated.attributes['log.file.path']).toBe(path + '.1');
    // the recovered file is closed after rotate_wait_ms; only app.log stays open
    await until(() => second.metrics.valueOf('flowlog_source_open_files', { component: 'src' }) === 1, 10_000, 'rotated file closed');
  });

  it('a checkpoint whose fingerprint no longer matches (inode reused) is not applied', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const path = join(dir, 'app.log');
    writeFileSync(path, lines(0, 10));
    const st = statSync(path);
    // a checkpoint of an earlier file that had this dev:inode, at offset 30, with other first bytes
    const stale = new Map([[`${st.dev}:${st.ino}`, encodePosition({ offset: 30, fp: { len: 64, hash: '0123456789abcdef' }, path })]]);
    const r = start([path], stale);
    await until(() => r.events.length >= 10);
    expect(seqs(r.events)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(r.metrics.valueOf('flowlog_source_rotations_total', { component: 'src', kind: 'inode_reused' })).toBe(1);
  });

  it('a file truncated while the source was down is read again from 0', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const path = join(dir, 'app.log');
    writeFileSync(path, lines(0, 100));
    const first = start([path]);
    await until(() => first.events.length === 100);
    await first.stop();
    writeFileSync(path, lines(0, 3)); // same first bytes, shorter: truncated and rewritten
    const second = start([path], first.checkpoints);
    await until(() => second.events.length >= 3);
    await sleep(200);
    expect(seqs(second.events)).toEqual([0, 1, 2]);
  });

  it('a stop between two batches cut from the same read chunk resumes right after the last committed batch', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const path = join(dir, 'app.log');
    writeFileSync(path, lines(0, 5000)); // one read chunk holds far more than one batch of 100
    const ch = new Channel<EventBatch>({ capacity: 1 });
    const ac = new AbortController();
    const cfg = fileConfig.parse({ include: [path], batch_size: 100 });
    const done = new FileSource(cfg).run({ name: 'src', signal: ac.signal, log: memoryLogger(), metrics: new Metrics(), dataDir: dir, out: ch, checkpoints: new Map() });
    const committed: number[] = [];
    const cps = new Map<string, string>();
    for (let i = 0; i < 3; i++) {
      const b = (await ch.recv())!;
      committed.push(...seqs(b.events));
      for (const c of b.checkpoints ?? []) cps.set(c.key, c.value);
    }
    ac.abort(); // the batches queued or being sent now are not committed
    await done;
    expect(committed).toHaveLength(300);
    const second = start([path], cps, { batch_size: 100 });
    await until(() => second.events.length >= 4700, 30_000, 'the rest');
    await sleep(200);
    expectExactlyOnce([...committed, ...seqs(second.events)], 5000);
  });
});
