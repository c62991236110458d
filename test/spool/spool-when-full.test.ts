// when_full: drop_oldest deletes the oldest unsent batches and counts them exactly; block holds the
// writer until acks free space and loses nothing.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SpoolEntry } from '../../spool/types.js';
import { openSpool, readAll, recordsOf, tempDirsPerTest } from './helpers.js';

const dir = tempDirsPerTest();

/** `n` records with incompressible padding (so compressed sizes are predictable). */
function noisyEntry(src: string, from: number, n: number): SpoolEntry {
  let s = '';
  for (let i = from; i < from + n; i++) s += `{"src":"${src}","seq":${i},"pad":"${randomBytes(100).toString('base64')}"}\n`;
  return { group: 'g', payload: Buffer.from(s), count: n };
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

describe('spool when_full', () => {
  it('drop_oldest deletes the oldest batches and counts every dropped record and batch exactly', async () => {
    const PER = 100; // records per batch, ~17 KB compressed
    const { spool, metrics, log } = openSpool({ dir: dir(), whenFull: 'drop_oldest', maxBytes: 100_000, batchMaxRecords: PER, minFreeBytes: 0 });
    for (let b = 0; b < 30; b++) await spool.append([noisyEntry('a', b * PER + 1, PER)], [{ source: 'a', key: 'k', value: String((b + 1) * PER) }]);
    expect(spool.storedBytes).toBeLessThanOrEqual(100_000);

    const present = recordsOf(readAll(spool)).map((r) => r.seq);
    const droppedRecords = metrics.valueOf('flowlog_spool_dropped_records_total', { spool: 'spool' })!;
    const droppedBatches = metrics.valueOf('flowlog_spool_dropped_batches_total', { spool: 'spool' })!;
    expect(droppedBatches).toBeGreaterThan(0);
    // what is left is exactly the newest records, contiguous, and the rest was counted
    expect(present.length + droppedRecords).toBe(30 * PER);
    expect(present).toEqual(Array.from({ length: present.length }, (_, i) => droppedRecords + 1 + i));
    expect(droppedBatches * PER).toBe(droppedRecords);
    expect(spool.stats()).toMatchObject({ droppedBatches, droppedRecords, batches: 30 - droppedBatches });
    // each drop was logged with its counts, and the logged counts add up to the metric
    const warnings = log.records.filter((r) => r.msg === 'spool full: dropped the oldest unsent batches (when_full: drop_oldest)');
    expect(warnings.reduce((n, r) => n + (r.dropped_records as number), 0)).toBe(droppedRecords);
    // checkpoints still moved with every commit
    expect(spool.checkpoints('a').get('k')).toBe(String(30 * PER));
    await spool.close();
  });

  it('block holds appends while the spool is full and resumes them after acks, losing nothing', async () => {
    const PER = 100;
    const { spool, metrics, log } = openSpool({ dir: dir(), whenFull: 'block', maxBytes: 60_000, batchMaxRecords: PER, minFreeBytes: 0 });
    let next = 1;
    const appendOne = () => {
      const p = spool.append([noisyEntry('a', next, PER)], [{ source: 'a', key: 'k', value: String(next + PER - 1) }]);
      next += PER;
      return p;
    };
    let blocked: Promise<void> | undefined;
    let settled = false;
    // fill until the spool refuses to take the next batch
    for (let i = 0; i < 20 && !blocked; i++) {
      const p = appendOne().then(() => void (settled = true));
      settled = false;
      await Promise.race([p, until(() => log.records.some((r) => r.msg === 'spool full: appends wait until sinks free space'))]);
      if (!settled) blocked = p;
    }
    expect(blocked, 'the spool never filled').toBeDefined();
    const cpWhileBlocked = spool.checkpoints('a').get('k');
    // more appends queue up behind the blocked one
    const queued = [appendOne(), appendOne()];
    expect(settled).toBe(false);
    expect(Number(cpWhileBlocked)).toBeLessThan(next - 3 * PER); // the blocked batch's checkpoint did not move

    // a sink drains: acks free space, the writer resumes
    const all: number[] = [];
    let finished = false;
    const done = Promise.all([blocked, ...queued]).then(() => void (finished = true));
    while (!finished) {
      const batches = spool.read('default', 2);
      all.push(...recordsOf(batches).map((r) => r.seq));
      spool.ack('default', batches.map((b) => b.id));
      await new Promise((r) => setTimeout(r, 5));
    }
    await done;
    all.push(...recordsOf(readAll(spool)).map((r) => r.seq));
    expect(all).toEqual(Array.from({ length: next - 1 }, (_, i) => i + 1));
    expect(metrics.valueOf('flowlog_spool_dropped_records_total', { spool: 'spool' })).toBe(0);
    expect(spool.checkpoints('a').get('k')).toBe(String(next - 1));
    expect(log.records.some((r) => r.msg === 'spool has space again: appends resume')).toBe(true);
    await spool.close();
  });

  it('block: close() refuses the waiting appends (their checkpoints never move) instead of hanging', async () => {
    const d = dir();
    const { spool, log } = openSpool({ dir: d, whenFull: 'block', maxBytes: 30_000, batchMaxRecords: 100, minFreeBytes: 0 });
    const results: Promise<string>[] = [];
    for (let i = 0; i < 6; i++) {
      results.push(
        spool.append([noisyEntry('a', i * 100 + 1, 100)], [{ source: 'a', key: 'k', value: String((i + 1) * 100) }]).then(
          () => 'ok',
          (e) => (e as { code: string }).code,
        ),
      );
    }
    await until(() => log.records.some((r) => r.msg === 'spool full: appends wait until sinks free space'));
    await spool.close();
    const codes = await Promise.all(results);
    const ok = codes.filter((c) => c === 'ok').length;
    expect(ok).toBeGreaterThan(0);
    expect(codes.slice(ok).every((c) => c === 'FLOWLOG_SPOOL_CLOSED')).toBe(true);
    const { spool: again } = openSpool({ dir: d });
    expect(again.checkpoints('a').get('k')).toBe(String(ok * 100));
    expect(recordsOf(readAll(again)).length).toBe(ok * 100);
    await again.close();
  });
});
