import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFlowlogError } from '../../core/errors.js';
import { openSpool, readAll, recordsOf, seqEntry, tempDirsPerTest } from './helpers.js';

const dir = tempDirsPerTest();

describe('spool append / read / ack', () => {
  it('coalesces concurrent appends into one batch and one transaction, with last-writer-wins checkpoints', async () => {
    const { spool, metrics } = openSpool({ dir: dir(), batchMaxMs: 50 });
    const appends = [];
    for (let i = 0; i < 10; i++) appends.push(spool.append([seqEntry('a', i * 10 + 1, i * 10 + 10)], [{ source: 'a', key: 'f1', value: String(i * 10 + 10) }]));
    await Promise.all(appends);
    const batches = readAll(spool);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.records).toBe(100);
    expect(recordsOf(batches).map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(spool.checkpoints('a')).toEqual(new Map([['f1', '100']]));
    expect(metrics.valueOf('flowlog_spool_appended_records_total', { spool: 'spool' })).toBe(100);
    expect(metrics.valueOf('flowlog_spool_depth_records', { spool: 'spool' })).toBe(100);
    const text = metrics.render();
    expect(text).toMatch(/^flowlog_spool_checkpoint_age_seconds\{spool="spool",source="a"\} \d/m);
    expect(text).toMatch(/^flowlog_spool_oldest_unsent_age_seconds\{spool="spool"\} \d/m);
    expect(metrics.valueOf('flowlog_spool_disk_bytes', { spool: 'spool' })).toBeGreaterThan(0);
    expect(metrics.valueOf('flowlog_spool_depth_batches', { spool: 'spool' })).toBe(1);
    spool.ack('default', batches.map((b) => b.id));
    expect(metrics.valueOf('flowlog_spool_acked_records_total', { spool: 'spool' })).toBe(100);
    expect(metrics.valueOf('flowlog_spool_depth_batches', { spool: 'spool' })).toBe(0);
    expect(metrics.valueOf('flowlog_spool_oldest_unsent_age_seconds', { spool: 'spool' })).toBe(0);
    await spool.close();
  });

  it('closes a batch at batch_max_records and at batch_max_bytes', async () => {
    const { spool } = openSpool({ dir: dir(), batchMaxRecords: 50, batchMaxBytes: 1 << 20, batchMaxMs: 10_000 });
    // 10_000 ms timer: only the record limit can close these batches
    await Promise.all([spool.append([seqEntry('a', 1, 30)], []), spool.append([seqEntry('a', 31, 60)], [])]);
    await spool.append([seqEntry('a', 61, 110)], []);
    expect(readAll(spool).map((b) => b.records)).toEqual([60, 50]);
    await spool.close();

    const { spool: s2 } = openSpool({ dir: dir(), batchMaxRecords: 1_000_000, batchMaxBytes: 4000, batchMaxMs: 10_000 });
    await s2.append([seqEntry('a', 1, 30)], []); // ~5.5 KB > 4000 bytes
    expect(readAll(s2).map((b) => b.records)).toEqual([30]);
    await s2.close();
  });

  it('acks delete batches, read(afterId) skips in-flight ones, and unacked batches survive a reopen', async () => {
    const d = dir();
    const { spool } = openSpool({ dir: d, batchMaxRecords: 10 });
    for (let i = 0; i < 5; i++) await spool.append([seqEntry('a', i * 10 + 1, i * 10 + 10)], [{ source: 'a', key: 'k', value: String(i * 10 + 10) }]);
    const first = spool.read('default', 2);
    expect(first.map((b) => b.records)).toEqual([10, 10]);
    const next = spool.read('default', 10, first[1]!.id);
    expect(next).toHaveLength(3);
    spool.ack('default', [first[0]!.id, next[0]!.id]);
    expect(spool.stats()).toMatchObject({ batches: 3, records: 30 });
    await spool.close();

    const { spool: again } = openSpool({ dir: d, batchMaxRecords: 10 });
    const left = recordsOf(readAll(again)).map((r) => r.seq);
    expect(left).toEqual([...range(11, 20), ...range(31, 50)]);
    expect(again.checkpoints('a').get('k')).toBe('50');
    expect(again.stats()).toMatchObject({ batches: 3, records: 30 });
    await again.close();
  });

  it('readAsync returns the same batches as read, decoded off the event loop', async () => {
    const { spool } = openSpool({ dir: dir(), batchMaxRecords: 10 });
    for (let i = 0; i < 6; i++) await spool.append([seqEntry('a', i * 10 + 1, i * 10 + 10), seqEntry('b', i, i, 10, 'other')], []);
    const sync = spool.read('default', 4, 1);
    const async = await spool.readAsync('default', 4, 1);
    expect(async.map((b) => b.id)).toEqual(sync.map((b) => b.id));
    expect(recordsOf(async)).toEqual(recordsOf(sync));
    expect(async[0]!.entries.map((e) => e.group)).toEqual(['g', 'other']);
    expect(recordsOf(async).filter((r) => r.src === 'a')).toHaveLength(40);
    await spool.close();
  });

  it('accepts a checkpoint-only append and commits it without a batch', async () => {
    const { spool } = openSpool({ dir: dir() });
    await spool.append([], [{ source: 'j', key: 'journal', value: 'cursor-7' }]);
    expect(spool.checkpoints('j').get('journal')).toBe('cursor-7');
    expect(spool.stats().batches).toBe(0);
    expect(spool.read('default', 10)).toEqual([]);
    await spool.close();
  });

  it('deletes a batch only once every configured consumer acked it; each consumer reads its own unacked', async () => {
    const { spool } = openSpool({ dir: dir(), consumers: ['kafka', 'archive'], batchMaxRecords: 10 });
    for (let i = 0; i < 3; i++) await spool.append([seqEntry('a', i * 10 + 1, i * 10 + 10)], []);
    const ids = spool.read('kafka', 10).map((b) => b.id);
    expect(ids).toHaveLength(3);
    spool.ack('kafka', ids.slice(0, 2));
    expect(spool.read('kafka', 10).map((b) => b.id)).toEqual([ids[2]]);
    expect(spool.read('archive', 10).map((b) => b.id)).toEqual(ids);
    expect(spool.stats().batches).toBe(3);
    spool.ack('archive', [ids[0]!, ids[2]!]);
    expect(spool.stats().batches).toBe(2); // ids[0] acked by both
    expect(spool.read('archive', 10).map((b) => b.id)).toEqual([ids[1]]);
    spool.ack('kafka', [ids[2]!]);
    spool.ack('archive', [ids[1]!]);
    expect(spool.stats().batches).toBe(0);
    expect(() => spool.read('nobody', 1)).toThrow(/unknown spool consumer/);
    await spool.close();
  });

  it('keeps per-consumer acks across a reopen, and sweeps batches once a removed consumer no longer holds them', async () => {
    const d = dir();
    const { spool } = openSpool({ dir: d, consumers: ['kafka', 'archive'], batchMaxRecords: 10 });
    for (let i = 0; i < 4; i++) await spool.append([seqEntry('a', i * 10 + 1, i * 10 + 10)], []);
    const ids = spool.read('kafka', 10).map((b) => b.id);
    spool.ack('kafka', ids.slice(0, 3));
    await spool.close();

    const { spool: again } = openSpool({ dir: d, consumers: ['kafka', 'archive'] });
    expect(again.read('kafka', 10).map((b) => b.id)).toEqual([ids[3]]);
    expect(again.read('archive', 10).map((b) => b.id)).toEqual(ids);
    await again.close();

    // the archive sink was removed from the config: what kafka acked is deleted at open
    const { spool: third } = openSpool({ dir: d, consumers: ['kafka'] });
    expect(third.stats()).toMatchObject({ batches: 1, records: 10 });
    expect(recordsOf(third.read('kafka', 10)).map((r) => r.seq)).toEqual([31, 32, 33, 34, 35, 36, 37, 38, 39, 40]);
    await third.close();
  });

  it('wakes waitForData on commit and resolves at once when newer data exists', async () => {
    const { spool } = openSpool({ dir: dir(), batchMaxMs: 5 });
    let woke = false;
    const w = spool.waitForData().then(() => (woke = true));
    expect(woke).toBe(false);
    await spool.append([seqEntry('a', 1, 1)], []);
    await w;
    expect(woke).toBe(true);
    await spool.waitForData(undefined, 0); // batch 1 exists after id 0: immediate
    const ac = new AbortController();
    const pending = spool.waitForData(ac.signal, spool.lastBatchId);
    ac.abort();
    await pending;
    await spool.close();
  });

  it('creates the database and its WAL files 0600', async () => {
    const d = dir();
    const { spool } = openSpool({ dir: join(d, 'nested') });
    await spool.append([seqEntry('a', 1, 5)], []);
    const files = readdirSync(join(d, 'nested'));
    expect(files).toEqual(expect.arrayContaining(['spool.db', 'spool.db-wal', 'spool.db-shm']));
    for (const f of files) expect((statSync(join(d, 'nested', f)).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(join(d, 'nested')).mode & 0o777).toString(8)).toBe('700');
    await spool.close();
  });

  it('flushes the open batch on close', async () => {
    const d = dir();
    const { spool } = openSpool({ dir: d, batchMaxMs: 60_000 });
    const p = spool.append([seqEntry('a', 1, 3)], [{ source: 'a', key: 'k', value: '3' }]);
    await spool.close();
    await p;
    const { spool: again } = openSpool({ dir: d });
    expect(recordsOf(readAll(again)).map((r) => r.seq)).toEqual([1, 2, 3]);
    await again.close();
    await expect(spool.append([seqEntry('a', 4, 4)], [])).rejects.toSatisfy((e) => isFlowlogError(e, 'SPOOL_CLOSED'));
  });
});

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}
