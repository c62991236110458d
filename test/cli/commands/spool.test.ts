// `flowlog spool stats|check|drain` run as the real CLI against real spool files, including a damaged
// one whose readable batches are salvaged into a fresh spool.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openSpool, readAll, recordsOf, tempDir } from '../../spool/helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));
function dir(): string {
  const t = tempDir('flowlog-cli-spool-');
  cleanups.push(t.cleanup);
  return t.dir;
}

function flowlog(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** 30 batches × 100 records with random padding; returns the data dir. */
async function filled(): Promise<string> {
  const d = dir();
  const { spool } = openSpool({ dir: d, batchMaxRecords: 100 });
  for (let b = 0; b < 30; b++) {
    let s = '';
    for (let i = 0; i < 100; i++) s += `{"src":"a","seq":${b * 100 + i + 1},"pad":"${randomBytes(120).toString('hex')}"}\n`;
    await spool.append([{ group: 'g', payload: Buffer.from(s), count: 100 }], [{ source: 'a', key: 'k', value: String((b + 1) * 100) }]);
  }
  await spool.close();
  return d;
}

// each CLI run loads tsx and the CLI (~1-5 s on a loaded 2-core machine)
describe('flowlog spool', { timeout: 150_000 }, () => {
  it('stats reports depth, sizes and checkpoints', async () => {
    const d = await filled();
    const r = flowlog('spool', 'stats', '--data-dir', d, '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ batches: 30, records: 3000, droppedBatches: 0 });
    expect(s.storedBytes).toBeGreaterThan(0);
    expect(s.diskBytes).toBeGreaterThanOrEqual(s.storedBytes);
    expect(s.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(s.checkpoints).toEqual([expect.objectContaining({ source: 'a', key: 'k', value: '3000' })]);
    const missing = flowlog('spool', 'stats', '--data-dir', join(d, 'nope'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no spool found: looked for .*nope\/spool\.db/);
  });

  it('drain writes every record as NDJSON in order and leaves them unless --ack', async () => {
    const d = await filled();
    const seqs = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l).seq as number);
    const all = Array.from({ length: 3000 }, (_, i) => i + 1);
    const first = flowlog('spool', 'drain', '--data-dir', d);
    expect(first.code, first.stderr).toBe(0);
    expect(seqs(first.stdout)).toEqual(all);
    expect(first.stderr).toMatch(/drained 30 batches, 3000 records \(left in place\)/);
    const acked = flowlog('spool', 'drain', '--data-dir', d, '--ack');
    expect(seqs(acked.stdout)).toEqual(all);
    const { spool } = openSpool({ dir: d });
    expect(spool.stats()).toMatchObject({ batches: 0, records: 0 });
    expect(spool.checkpoints('a').get('k')).toBe('3000'); // drain removes records, not positions
    await spool.close();
  });

  it('check finds damage and --salvage copies the readable batches and checkpoints into a fresh spool', async () => {
    const d = await filled();
    const file = join(d, 'spool.db');
    const sound = flowlog('spool', 'check', '--data-dir', d);
    expect(sound.code, sound.stderr).toBe(0);
    expect(sound.stdout).toMatch(/: ok\n +readable: 30 batches, 3000 records/);

    // garble 32 KiB in the middle of the file: some batches' pages are destroyed
    const fd = openSync(file, 'r+');
    const at = Math.floor(statSync(file).size / 2 / 4096) * 4096;
    writeSync(fd, randomBytes(32 * 1024), 0, 32 * 1024, at);
    closeSync(fd);

    const check = flowlog('spool', 'check', '--data-dir', d, '--json');
    expect(check.code).toBe(2);
    const rep = JSON.parse(check.stdout);
    expect(rep.ok).toBe(false);
    expect(rep.goodBatches).toBeLessThan(30);

    const out = join(dir(), 'salvaged');
    const salv = flowlog('spool', 'check', '--file', file, '--salvage', out, '--json');
    expect(salv.code, salv.stderr).toBe(0);
    const s = JSON.parse(salv.stdout);
    expect(s.goodBatches).toBeGreaterThan(0);
    expect(s.goodBatches).toBeLessThan(30);
    expect(s.checkpointsCopied).toBe(1);

    // the salvaged spool opens clean; every batch in it is intact and came from the original
    const { spool } = openSpool({ dir: out });
    expect(spool.quarantinedTo).toBeUndefined();
    const batches = readAll(spool);
    expect(batches).toHaveLength(s.goodBatches);
    const seqs = recordsOf(batches).map((r) => r.seq);
    expect(seqs).toHaveLength(s.goodRecords);
    expect(new Set(seqs).size).toBe(seqs.length);
    for (const b of batches) {
      const bs = recordsOf([b]).map((r) => r.seq);
      expect(bs).toHaveLength(100);
      expect(bs[99]! - bs[0]!).toBe(99); // whole, contiguous batches
      expect(bs[0]! % 100).toBe(1);
    }
    expect(spool.checkpoints('a').get('k')).toBe('3000');
    await spool.close();
    const again = flowlog('spool', 'check', '--file', file, '--salvage', out);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists; salvage into an empty directory/);
  });
});
