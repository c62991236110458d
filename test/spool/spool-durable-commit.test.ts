// sync: full commits with SQLite's synchronous=NORMAL and fsyncs the WAL file itself on the libuv
// pool (spool/wal-sync.ts). These tests hold or fail that fsync to check what the design promises: an
// append resolves only after an fsync of the WAL file that holds its commit; commits that land while
// an fsync runs share the next one; a failed fsync refuses the appends it covered; close waits.
import { fstatSync, fsync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FsyncFn } from '../../spool/wal-sync.js';
import { openSpool, readAll, seqEntry, tempDirsPerTest } from './helpers.js';

const dir = tempDirsPerTest();

/** An fsync that runs for real but reports only when the test releases it. */
function heldFsync() {
  const calls: { fd: number; ino: number; walBytes: number; release: (err?: NodeJS.ErrnoException) => void }[] = [];
  const fn: FsyncFn = (fd, cb) => {
    const st = fstatSync(fd);
    calls.push({ fd, ino: st.ino, walBytes: st.size, release: (err) => (err ? cb(err) : fsync(fd, cb)) });
  };
  return { fn, calls };
}

const tick = () => new Promise((r) => setTimeout(r, 20));
const settled = (p: Promise<unknown>) => {
  const s = { done: false, error: null as unknown };
  p.then(
    () => (s.done = true),
    (e) => ((s.done = true), (s.error = e)),
  );
  return s;
};

describe('spool durable commits (sync: full)', () => {
  it('resolves an append only after the WAL file holding its commit was fsynced', async () => {
    const d = dir();
    const h = heldFsync();
    const { spool } = openSpool({ dir: d, batchMaxRecords: 1 }, { fsync: h.fn });
    const a = settled(spool.append([seqEntry('a', 1, 1)], [{ source: 'a', key: 'f', value: '1' }]));
    await tick();
    expect(readAll(spool)).toHaveLength(1); // committed (visible) ...
    expect(a.done).toBe(false); // ... but not reported durable
    expect(h.calls).toHaveLength(1);
    const wal = statSync(`${d}/spool.db-wal`);
    expect(h.calls[0]!.ino).toBe(wal.ino); // the fsync went to the WAL file SQLite wrote
    expect(h.calls[0]!.walBytes).toBeGreaterThan(0);
    h.calls[0]!.release();
    await tick();
    expect(a.done).toBe(true);
    expect(a.error).toBeNull();
    await spool.close();
  });

  it('commits keep going while an fsync runs, and the commits behind it share one fsync', async () => {
    const h = heldFsync();
    const { spool, metrics } = openSpool({ dir: dir(), batchMaxRecords: 1 }, { fsync: h.fn });
    const first = settled(spool.append([seqEntry('a', 1, 1)], []));
    await tick();
    const rest = [2, 3, 4].map((i) => settled(spool.append([seqEntry('a', i, i)], [])));
    await tick();
    expect(readAll(spool)).toHaveLength(4); // all four committed while the first fsync was held
    expect(h.calls).toHaveLength(1);
    h.calls[0]!.release();
    await tick();
    expect(first.done).toBe(true);
    expect(rest.some((r) => r.done)).toBe(false); // committed after the first fsync started: not covered by it
    expect(h.calls).toHaveLength(2);
    h.calls[1]!.release();
    await tick();
    expect(rest.every((r) => r.done && r.error === null)).toBe(true);
    expect(h.calls).toHaveLength(2);
    expect(metrics.render()).toMatch(/^flowlog_spool_fsync_seconds_count\{spool="spool"\} 2$/m);
    await spool.close();
  });

  it('refuses the appends a failed fsync covered, with a coded error, a counter and a log line', async () => {
    const h = heldFsync();
    const { spool, metrics, log } = openSpool({ dir: dir(), batchMaxRecords: 1 }, { fsync: h.fn });
    const p = spool.append([seqEntry('a', 1, 1)], [{ source: 'a', key: 'f', value: '1' }]);
    p.catch(() => undefined);
    await tick();
    h.calls[0]!.release(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    await expect(p).rejects.toMatchObject({ code: 'FLOWLOG_SPOOL_IO' });
    expect(metrics.valueOf('flowlog_spool_append_errors_total', { spool: 'spool', code: 'FLOWLOG_SPOOL_IO' })).toBe(1);
    expect(log.records.some((r) => r.level === 'error' && /fsync failed/.test(String(r.msg)))).toBe(true);
    await spool.close();
  });

  it('close waits for a running fsync before it closes the database', async () => {
    const h = heldFsync();
    const { spool } = openSpool({ dir: dir(), batchMaxRecords: 1 }, { fsync: h.fn });
    const a = settled(spool.append([seqEntry('a', 1, 1)], []));
    await tick();
    const closed = settled(spool.close());
    await tick();
    expect(closed.done).toBe(false);
    h.calls[0]!.release();
    await tick();
    expect(a.done && a.error === null).toBe(true);
    expect(closed.done && closed.error === null).toBe(true);
  });

  it('sync: normal never fsyncs', async () => {
    const h = heldFsync();
    const { spool } = openSpool({ dir: dir(), batchMaxRecords: 1, sync: 'normal' }, { fsync: h.fn });
    await spool.append([seqEntry('a', 1, 1)], []);
    await spool.append([seqEntry('a', 2, 2)], []);
    expect(h.calls).toHaveLength(0);
    await spool.close();
  });
});
