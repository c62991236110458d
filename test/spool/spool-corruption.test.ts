// A truncated, garbled or foreign spool file is moved aside at open and a fresh spool keeps working;
// a damaged batch blob (bit rot the page checks cannot see) is caught by its checksum, removed and counted.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSpool, readAll, recordsOf, seqEntry, tempDirsPerTest } from './helpers.js';

const dir = tempDirsPerTest();

/** A closed spool holding 40 batches of random-padded records (a multi-MB file). */
async function filledSpool(d: string): Promise<string> {
  const { spool } = openSpool({ dir: d, batchMaxRecords: 200 });
  for (let b = 0; b < 40; b++) {
    let s = '';
    for (let i = 0; i < 200; i++) s += `{"src":"a","seq":${b * 200 + i + 1},"pad":"${randomBytes(90).toString('hex')}"}\n`;
    await spool.append([{ group: 'g', payload: Buffer.from(s), count: 200 }], [{ source: 'a', key: 'k', value: String((b + 1) * 200) }]);
  }
  await spool.close();
  return join(d, 'spool.db');
}

async function expectQuarantinedAndWorking(d: string, damage: string) {
  const { spool, log, metrics } = openSpool({ dir: d });
  expect(spool.quarantinedTo, damage).toMatch(/spool\.db\.corrupt-\d{8}T\d{9}Z$/);
  expect(existsSync(spool.quarantinedTo!)).toBe(true);
  expect((statSync(spool.quarantinedTo!).mode & 0o777).toString(8)).toBe('600');
  const err = log.records.find((r) => r.level === 'error');
  expect(err?.msg).toBe('spool file is corrupt: moved it aside and started an empty spool');
  expect(err?.moved_to).toBe(spool.quarantinedTo);
  expect(metrics.valueOf('flowlog_spool_quarantined_total', { spool: 'spool' })).toBe(1);
  // fresh and working
  expect(spool.stats().batches).toBe(0);
  expect(spool.checkpoints('a').size).toBe(0);
  await spool.append([seqEntry('a', 1, 10)], [{ source: 'a', key: 'k', value: '10' }]);
  expect(recordsOf(readAll(spool)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  await spool.close();
  // and the next open is clean (no second quarantine)
  const { spool: again } = openSpool({ dir: d });
  expect(again.quarantinedTo).toBeUndefined();
  expect(again.stats().records).toBe(10);
  await again.close();
}

describe('spool corruption at open', () => {
  it('quarantines a truncated file', async () => {
    const d = dir();
    const file = await filledSpool(d);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    await expectQuarantinedAndWorking(d, 'truncated');
  });

  it('quarantines a file whose pages were overwritten with garbage', async () => {
    const d = dir();
    const file = await filledSpool(d);
    const fd = openSync(file, 'r+');
    writeSync(fd, randomBytes(64 * 1024), 0, 64 * 1024, 4096 * 8);
    closeSync(fd);
    await expectQuarantinedAndWorking(d, 'garbled pages');
  });

  it('quarantines a file with a garbled header and a file that is not SQLite at all', async () => {
    const d = dir();
    const file = await filledSpool(d);
    const fd = openSync(file, 'r+');
    writeSync(fd, randomBytes(100), 0, 100, 0);
    closeSync(fd);
    await expectQuarantinedAndWorking(d, 'garbled header');

    const d2 = dir();
    writeFileSync(join(d2, 'spool.db'), 'this is a text file, not a database\n'.repeat(200), { mode: 0o600 });
    await expectQuarantinedAndWorking(d2, 'text file');
  });

  it('quarantines a valid SQLite database that is not a spool', async () => {
    const d = dir();
    const db = new Database(join(d, 'spool.db'));
    db.exec('CREATE TABLE something_else (x)');
    db.close();
    await expectQuarantinedAndWorking(d, 'foreign database');
  });
});

describe('damaged batch blobs', () => {
  it('detects a flipped byte by checksum, removes and counts that batch, and serves the others', async () => {
    const d = dir();
    const file = await filledSpool(d);
    const db = new Database(file);
    const row = db.prepare('SELECT id, blob FROM batches ORDER BY id LIMIT 1 OFFSET 5').get() as { id: number; blob: Buffer };
    const at = Math.floor(row.blob.length / 2);
    row.blob[at] = row.blob[at]! ^ 0x5a;
    db.prepare('UPDATE batches SET blob = ? WHERE id = ?').run(row.blob, row.id);
    db.close();

    const { spool, metrics, log } = openSpool({ dir: d });
    expect(spool.quarantinedTo).toBeUndefined(); // the file itself is sound
    const batches = readAll(spool);
    expect(batches).toHaveLength(39);
    expect(batches.map((b) => b.id)).not.toContain(row.id);
    const seqs = recordsOf(batches).map((r) => r.seq);
    expect(seqs).toHaveLength(39 * 200);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(metrics.valueOf('flowlog_spool_corrupt_batches_total', { spool: 'spool' })).toBe(1);
    expect(log.records.find((r) => r.level === 'error')).toMatchObject({ msg: 'spool batch is damaged and was removed', batch_id: row.id, records: 200 });
    expect(spool.stats().batches).toBe(39);
    await spool.close();
    expect(readdirSync(d).filter((f) => f.includes('corrupt'))).toEqual([]);
  });
});
