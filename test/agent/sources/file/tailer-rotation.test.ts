// Rotation under load: a writer in this process appends ~2,000 numbered lines per second while the
// file is rotated; every sequence number must arrive exactly once (rename-and-create, deletion
// while open), and copytruncate may lose only what it loses in principle (see below).
import { closeSync, copyFileSync, openSync, renameSync, truncateSync, unlinkSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileConfig } from '../../../../agent/sources/file/config.js';
import { FileSource } from '../../../../agent/sources/file/source.js';
import { runSource, seqs, tempDir, until, type Running } from '../harness.js';

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** Appends `perTick` lines every 10 ms (≥ 1k lines/s) to `path` through an O_APPEND fd. */
class Writer {
  seq = 0;
  fd: number;
  private timer: NodeJS.Timeout;
  constructor(
    private path: string,
    perTick = 20,
  ) {
    this.fd = openSync(path, 'a');
    this.timer = setInterval(() => this.write(perTick), 10);
  }
  write(n: number): void {
    let s = '';
    for (let i = 0; i < n; i++) s += `seq=${this.seq++} ${'x'.repeat(40)}\n`;
    writeSync(this.fd, s);
  }
  reopen(): void {
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a');
  }
  stop(): void {
    clearInterval(this.timer);
    closeSync(this.fd);
  }
}

function start(dir: string, extra: Record<string, unknown> = {}): Running {
  const r = runSource(new FileSource(fileConfig.parse({ include: [join(dir, 'app.log')], glob_interval_ms: 100, rotate_wait_ms: 300, ...extra })));
  cleanup.push(() => r.stop());
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exactlyOnce(got: number[], total: number): void {
  const sorted = [...got].sort((a, b) => a - b);
  const missing: number[] = [];
  const dups: number[] = [];
  for (let i = 0, j = 0; i < total; i++) {
    let c = 0;
    while (j < sorted.length && sorted[j] === i) {
      c++;
      j++;
    }
    if (c === 0) missing.push(i);
    if (c > 1) dups.push(i);
  }
  expect({ missing: missing.slice(0, 10), dups: dups.slice(0, 10), n: got.length }).toEqual({ missing: [], dups: [], n: total });
}

describe('file rotation under load', () => {
  it('rename-and-create (with the oldest rotated file deleted while open) loses and repeats nothing', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const path = join(dir, 'app.log');
    const w = new Writer(path);
    const r = start(dir);
    for (let i = 0; i < 6; i++) {
      await sleep(400);
      // logrotate: app.log.1 → app.log.2 (deleting the previous .2, possibly still open), app.log → app.log.1, new app.log
      if (existsSync(path + '.2')) unlinkSync(path + '.2');
      if (existsSync(path + '.1')) renameSync(path + '.1', path + '.2');
      renameSync(path, path + '.1');
      w.reopen();
    }
    await sleep(300);
    w.stop();
    const total = w.seq;
    expect(total).toBeGreaterThan(3000);
    await until(() => r.events.length >= total, 60_000, `${total} events`);
    await sleep(200);
    exactlyOnce(seqs(r.events), total);
    expect(r.metrics.valueOf('flowlog_source_rotations_total', { component: 'src', kind: 'rotated' })).toBeGreaterThanOrEqual(6);
    // detached files are closed after rotate_wait_ms: only the live file stays open
    await until(() => r.metrics.valueOf('flowlog_source_open_files', { component: 'src' }) === 1, 10_000, 'rotated files closed');
  });

  it('copytruncate loses at most the lines written between the last read and the truncate, and repeats nothing', async () => {
    // In principle copytruncate loses every line appended after the reader's last read of the file
    // and before the truncate (they exist only in the copy, which is not tailed). This test runs the
    // copy and the truncate synchronously between two writer ticks, notes r = the highest sequence
    // delivered so far and w = the last written, and requires each lost line to be in one (r, w]
    // window and nothing outside them missing or repeated.
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const path = join(dir, 'app.log');
    const w = new Writer(path);
    const r = start(dir);
    const windows: [number, number][] = [];
    for (let i = 0; i < 6; i++) {
      await sleep(400);
      const got = seqs(r.events);
      windows.push([got.length ? Math.max(...got) : -1, w.seq - 1]);
      copyFileSync(path, join(dir, `app.log.${i}`));
      truncateSync(path, 0);
    }
    await sleep(300);
    w.stop();
    const total = w.seq;
    expect(total).toBeGreaterThan(3000);
    await until(() => {
      const s = new Set(seqs(r.events));
      return s.has(total - 1);
    }, 60_000, 'the last line');
    await sleep(300);
    const got = seqs(r.events);
    expect(new Set(got).size).toBe(got.length); // no repeats
    const have = new Set(got);
    const lost: number[] = [];
    for (let i = 0; i < total; i++) if (!have.has(i)) lost.push(i);
    const outside = lost.filter((s) => !windows.some(([a, b]) => s > a && s <= b));
    expect(outside).toEqual([]);
    expect(r.metrics.valueOf('flowlog_source_rotations_total', { component: 'src', kind: 'truncated' })! + (r.metrics.valueOf('flowlog_source_rotations_total', { component: 'src', kind: 'replaced' }) ?? 0)).toBe(6);
    // every line is either delivered or in a copy: the test's own bookkeeping is consistent
    expect(got.length + lost.length).toBe(total);
  });

  it('copytruncate after the reader caught up loses nothing', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const path = join(dir, 'app.log');
    const w = new Writer(path);
    const r = start(dir);
    for (let i = 0; i < 4; i++) {
      await sleep(300);
      // the writer keeps its timer; the rotation runs (synchronously, between two writer ticks) in
      // the same macrotask in which the reader was seen to have delivered the last written line
      await until(() => seqs(r.events).includes(w.seq - 1), 30_000, 'reader caught up');
      copyFileSync(path, join(dir, `app.log.${i}`));
      truncateSync(path, 0);
    }
    w.stop();
    const total = w.seq;
    await until(() => seqs(r.events).includes(total - 1), 60_000, 'the last line');
    await sleep(200);
    exactlyOnce(seqs(r.events), total);
  });

  it('a file deleted while open is read to its end (the writer keeps writing to it) and closed after rotate_wait_ms', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const path = join(dir, 'app.log');
    const w = new Writer(path);
    const r = start(dir);
    await sleep(300);
    unlinkSync(path); // the writer's descriptor still appends to the deleted inode
    await sleep(500);
    w.stop();
    const total = w.seq;
    await until(() => r.events.length >= total, 30_000, `${total} events`);
    await sleep(100);
    exactlyOnce(seqs(r.events), total);
    await until(() => r.metrics.valueOf('flowlog_source_open_files', { component: 'src' }) === 0, 10_000, 'deleted file closed');
  });
});
