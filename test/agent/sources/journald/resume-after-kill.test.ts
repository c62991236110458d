// Exact resume after SIGKILL: a child process runs the journald source into a durable store that
// commits each batch's events with its cursor checkpoint in one SQLite transaction. The child is
// killed with SIGKILL at random points across 100k entries (spread over rotated journal files);
// at the end every entry is stored exactly once: no gap, no repeat (the off-by-one Vector and
// Fluent Bit shipped would show up as a repeat at every kill).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { seqEntry, unavailableReason, writeJournal } from './fixtures.js';

const skip = unavailableReason();
const TOTAL = 100_000;
const KILLS = 8;
const harness = fileURLToPath(new URL('./durable-harness.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'flowlog-jd-kill-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function startHarness(db: string, journals: string): ChildProcess {
  return track(spawn(process.execPath, ['--import', 'tsx', harness, db, journals], { stdio: ['ignore', 'ignore', 'inherit'] }));
}

function track(c: ChildProcess): ChildProcess {
  children.add(c);
  c.once('close', () => children.delete(c));
  return c;
}

const closed = (c: ChildProcess) =>
  new Promise<number | null>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(c.exitCode) : c.once('close', resolve)));

describe.skipIf(skip)(`journald resume after kill -9${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('stores each of 100k entries exactly once across random SIGKILLs', { timeout: 85_000 }, async () => {
    const journals = join(dir, 'journal');
    const dbPath = join(dir, 'store.db');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(journals);
    // padding makes the 100k entries span several rotated journal files
    await writeJournal(join(journals, 'remote.journal'), (function* () {
      for (let i = 0; i < TOTAL; i++) yield seqEntry(i, { PAD: 'x'.repeat(200 + (i % 100)) });
    })());
    const db0 = new Database(dbPath);
    db0.exec('CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, cursor TEXT NOT NULL); CREATE TABLE IF NOT EXISTS checkpoints (source TEXT, key TEXT, value TEXT, PRIMARY KEY (source, key))');
    db0.pragma('journal_mode = WAL');
    const stored = () => (db0.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;

    const thresholds = Array.from({ length: KILLS }, () => Math.floor(Math.random() * TOTAL * 0.9)).sort((a, b) => a - b);
    const killedAt: number[] = [];
    for (const t of thresholds) {
      const child = startHarness(dbPath, journals);
      const t0 = Date.now();
      while (stored() < t && child.exitCode === null && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 2));
      child.kill('SIGKILL');
      await closed(child);
      killedAt.push(stored());
    }
    // the last run reads to the end, then stops cleanly on SIGTERM
    const last = startHarness(dbPath, journals);
    const t0 = Date.now();
    while (stored() < TOTAL && Date.now() - t0 < 40_000) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300)); // a repeat past the end would show up here
    last.kill('SIGTERM');
    expect(await closed(last)).toBe(0);

    const dupes = db0.prepare('SELECT seq, count(*) AS n FROM events GROUP BY seq HAVING n > 1 LIMIT 5').all();
    const agg = db0.prepare('SELECT count(*) AS n, count(DISTINCT seq) AS d, min(seq) AS lo, max(seq) AS hi FROM events').get();
    db0.close();
    // the kills really happened mid-stream
    expect(killedAt.filter((n) => n > 0 && n < TOTAL).length).toBeGreaterThanOrEqual(KILLS - 1);
    expect(dupes).toEqual([]);
    expect(agg).toEqual({ n: TOTAL, d: TOTAL, lo: 0, hi: TOTAL - 1 });
  });
});
