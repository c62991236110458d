// Bad input never corrupts the spool or crashes: empty appends, oversized records, checkpoints for
// unknown sources, a read-only directory and a full disk each give a coded FlowlogError, and the
// spool keeps working (and reopens clean) afterwards.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FlowlogError } from '../../core/errors.js';
import { memoryLogger } from '../../core/telemetry/logger.js';
import { Metrics } from '../../core/telemetry/metrics.js';
import { Spool } from '../../spool/spool.js';
import { openSpool, readAll, recordsOf, seqEntry, tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).reverse().forEach((f) => f()));
function dir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

const isRoot = process.getuid?.() === 0;

/** Mounts a tmpfs (root only); returns why not when it cannot. */
function mountTmpfs(at: string, opts: string): string | undefined {
  mkdirSync(at, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', at], { encoding: 'utf8' });
  if (r.status !== 0) return `mount failed: ${r.stderr || r.error?.message}`;
  cleanups.push(() => void spawnSync('umount', ['-l', at]));
  return undefined;
}

async function rejection(p: Promise<unknown>): Promise<FlowlogError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FlowlogError);
    return e as FlowlogError;
  }
  throw new Error('expected a rejection');
}

describe('spool bad input', () => {
  it('refuses an empty append, a 10 MiB record and a checkpoint for an unknown source, and keeps working', async () => {
    const d = dir();
    const { spool, metrics } = openSpool({ dir: d, batchMaxMs: 5 }, { knownSources: ['a'] });
    const good = spool.append([seqEntry('a', 1, 5)], [{ source: 'a', key: 'k', value: '5' }]);

    expect((await rejection(spool.append([], []))).code).toBe('FLOWLOG_SPOOL_BAD_INPUT');
    const big = Buffer.alloc(10 * 1024 * 1024, 'x');
    big[big.length - 1] = 10;
    const e2 = await rejection(spool.append([{ group: 'g', payload: big, count: 1 }], []));
    expect(e2.code).toBe('FLOWLOG_SPOOL_BAD_INPUT');
    expect(e2.message).toMatch(/10485760 bytes exceeds/);
    const e3 = await rejection(spool.append([seqEntry('a', 6, 10)], [{ source: 'intruder', key: 'k', value: '1' }]));
    expect(e3.code).toBe('FLOWLOG_SPOOL_BAD_INPUT');
    expect(e3.message).toMatch(/unknown source "intruder"/);
    expect((await rejection(spool.append([{ group: 'g', payload: Buffer.alloc(0), count: 1 }], []))).code).toBe('FLOWLOG_SPOOL_BAD_INPUT');
    expect((await rejection(spool.append([{ group: 'g', payload: Buffer.from('x\n'), count: 0 }], []))).code).toBe('FLOWLOG_SPOOL_BAD_INPUT');
    expect(metrics.valueOf('flowlog_spool_append_errors_total', { spool: 'spool', code: 'FLOWLOG_SPOOL_BAD_INPUT' })).toBe(5);

    await good;
    await spool.append([seqEntry('a', 6, 10)], [{ source: 'a', key: 'k', value: '10' }]);
    // nothing of the refused appends was stored (the unknown-source append's records neither)
    expect(recordsOf(readAll(spool)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(spool.checkpoints('intruder').size).toBe(0);
    expect(() => spool.ack('nobody', [1])).toThrow(/unknown spool consumer/);
    await spool.close();
  });

  it('gives SPOOL_IO for a read-only directory and touches nothing', async (ctx) => {
    const d = dir();
    const { spool } = openSpool({ dir: d });
    await spool.append([seqEntry('a', 1, 3)], [{ source: 'a', key: 'k', value: '3' }]);
    await spool.close();
    if (isRoot) {
      // root ignores mode bits: make the directory read-only with a read-only bind mount
      const r1 = spawnSync('mount', ['--bind', d, d]);
      if (r1.status !== 0) return ctx.skip('cannot bind-mount as root (no CAP_SYS_ADMIN); mode bits do not stop root');
      cleanups.push(() => void spawnSync('umount', ['-l', d]));
      const r2 = spawnSync('mount', ['-o', 'remount,ro,bind', d]);
      if (r2.status !== 0) return ctx.skip('cannot remount read-only');
    } else {
      chmodSync(d, 0o500);
      cleanups.push(() => chmodSync(d, 0o700));
    }
    let err: unknown;
    try {
      Spool.open({ dir: d }, openSpoolDeps());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FlowlogError);
    expect((err as FlowlogError).code).toBe('FLOWLOG_SPOOL_IO');
    expect((err as FlowlogError).message).toMatch(/not writable/);
    // the same file opens fine once writable again, with its data (nothing was quarantined)
    cleanups.pop()!();
    const { spool: again } = openSpool({ dir: d });
    expect(again.quarantinedTo).toBeUndefined();
    expect(again.checkpoints('a').get('k')).toBe('3');
    await again.close();
  });

  it('gives SPOOL_FULL when the disk fills up, keeps every resolved append, and recovers after acks', async (ctx) => {
    if (!isRoot) return ctx.skip('needs root to mount a small tmpfs');
    const d = join(dir(), 'small');
    const why = mountTmpfs(d, 'size=3m,mode=0700');
    if (why) return ctx.skip(why);
    // min_free_bytes 0: only the filesystem itself stops the writes (real ENOSPC → SQLITE_FULL)
    const { spool, metrics, log } = openSpool({ dir: d, minFreeBytes: 0, reserveBytes: 1024 * 1024, batchMaxRecords: 100, maintenanceIntervalMs: 100 });
    expect(existsSync(join(d, 'spool.db.reserve'))).toBe(true);
    let resolved = 0;
    let full: FlowlogError | undefined;
    for (let b = 0; b < 200 && !full; b++) {
      let s = '';
      for (let i = 0; i < 100; i++) s += `{"src":"a","seq":${b * 100 + i + 1},"pad":"${randomBytes(60).toString('hex')}"}\n`;
      try {
        await spool.append([{ group: 'g', payload: Buffer.from(s), count: 100 }], [{ source: 'a', key: 'k', value: String((b + 1) * 100) }]);
        resolved = (b + 1) * 100;
      } catch (e) {
        full = e as FlowlogError;
      }
    }
    expect(full?.code).toBe('FLOWLOG_SPOOL_FULL');
    expect(metrics.valueOf('flowlog_spool_append_errors_total', { spool: 'spool', code: 'FLOWLOG_SPOOL_FULL' })).toBe(1);
    // the refused append left no trace; everything resolved is there, in order
    expect(spool.checkpoints('a').get('k')).toBe(String(resolved));
    const batches = readAll(spool);
    expect(recordsOf(batches).map((r) => r.seq)).toEqual(Array.from({ length: resolved }, (_, i) => i + 1));
    // a sink drains: space comes back and appends work again
    spool.ack('default', batches.map((b) => b.id));
    expect(log.records.some((r) => r.msg === 'disk full: released the spool disk reserve so acks can free space')).toBe(true);
    await spool.append([seqEntry('a', resolved + 1, resolved + 10)], [{ source: 'a', key: 'k', value: String(resolved + 10) }]);
    await spool.close();
    const { spool: again } = openSpool({ dir: d, minFreeBytes: 0 });
    expect(again.quarantinedTo).toBeUndefined();
    expect(recordsOf(readAll(again)).map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => resolved + 1 + i));
    await again.close();
  });

  it('treats min_free_bytes as full: block waits, and resumes once acks and vacuum return the space', async (ctx) => {
    if (!isRoot) return ctx.skip('needs root to mount a small tmpfs');
    const d = join(dir(), 'small');
    const why = mountTmpfs(d, 'size=4m,mode=0700');
    if (why) return ctx.skip(why);
    const { spool, log } = openSpool({ dir: d, minFreeBytes: 2 * 1024 * 1024, reserveBytes: 0, batchMaxRecords: 100, maintenanceIntervalMs: 50 });
    const pending: Promise<void>[] = [];
    let next = 1;
    const waiting = () => log.records.some((r) => r.msg === 'spool full: appends wait until sinks free space' && r.reason === 'min_free_bytes');
    while (!waiting() && next < 100_000) {
      let s = '';
      for (let i = 0; i < 100; i++) s += `{"src":"a","seq":${next + i},"pad":"${randomBytes(60).toString('hex')}"}\n`;
      pending.push(spool.append([{ group: 'g', payload: Buffer.from(s), count: 100 }], [{ source: 'a', key: 'k', value: String(next + 99) }]));
      next += 100;
      await Promise.race([pending[pending.length - 1], new Promise((r) => setTimeout(r, 20))]);
    }
    expect(waiting()).toBe(true);
    // drain everything committed so far; vacuum + WAL truncation on the maintenance timer free the disk
    const seen: number[] = [];
    let finished = false;
    const all = Promise.all(pending).then(() => void (finished = true));
    while (!finished) {
      const batches = spool.read('default', 10);
      seen.push(...recordsOf(batches).map((r) => r.seq));
      spool.ack('default', batches.map((b) => b.id));
      await new Promise((r) => setTimeout(r, 20));
    }
    await all;
    seen.push(...recordsOf(readAll(spool)).map((r) => r.seq));
    expect(seen).toEqual(Array.from({ length: next - 1 }, (_, i) => i + 1));
    await spool.close();
  });
});

function openSpoolDeps() {
  return { log: memoryLogger(), metrics: new Metrics() };
}
