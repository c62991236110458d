// Exact resume after SIGKILL: a child process runs the journald source into the real spool, which
// commits each batch's events with its cursor checkpoint in one SQLite transaction. The child is
// killed with SIGKILL at random points across 100k entries (spread over rotated journal files);
// at the end every entry is stored exactly once: no gap, no repeat (the off-by-one Vector and
// Fluent Bit shipped would show up as a repeat at every kill).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { memoryLogger } from '../../../../core/telemetry/logger.js';
import { Metrics } from '../../../../core/telemetry/metrics.js';
import { Spool } from '../../../../spool/spool.js';
import { afterAll, describe, expect, it } from 'vitest';
import { seqEntry, unavailableReason, writeJournal } from './fixtures.js';

const skip = unavailableReason();
const TOTAL = 100_000;
const KILLS = 6;
const harness = fileURLToPath(new URL('./durable-harness.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'flowlog-jd-kill-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Harness {
  child: ChildProcess;
  /** Highest seq the child reported durable. */
  ok: () => number;
}

function startHarness(spoolDir: string, journals: string): Harness {
  const child = track(spawn(process.execPath, ['--import', 'tsx', harness, spoolDir, journals], { stdio: ['ignore', 'pipe', 'inherit'] }));
  let ok = -1;
  createInterface({ input: child.stdout! }).on('line', (l) => {
    if (l.startsWith('ok ')) ok = Math.max(ok, Number(l.slice(3)));
  });
  return { child, ok: () => ok };
}

function track(c: ChildProcess): ChildProcess {
  children.add(c);
  c.once('close', () => children.delete(c));
  return c;
}

const closed = (c: ChildProcess) =>
  new Promise<number | null>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(c.exitCode) : c.once('close', resolve)));

describe.skipIf(skip)(`journald resume after kill -9${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('stores each of 100k entries exactly once across random SIGKILLs', { timeout: 88_000 }, async () => {
    const journals = join(dir, 'journal');
    const tStart = Date.now();
    const spoolDir = join(dir, 'spool');
    mkdirSync(journals);
    // systemd-journal-remote rotates the file at its header limits: the entries span several files
    await writeJournal(join(journals, 'remote.journal'), (function* () {
      for (let i = 0; i < TOTAL; i++) yield seqEntry(i, { PAD: 'x'.repeat(i % 64) });
    })());

    expect(readdirSync(journals).filter((f) => f.endsWith('.journal')).length).toBeGreaterThanOrEqual(2);
    const tGen = Date.now();
    const thresholds = Array.from({ length: KILLS }, () => Math.floor(Math.random() * TOTAL * 0.9)).sort((a, b) => a - b);
    const killedAt: number[] = [];
    for (const t of thresholds) {
      const h = startHarness(spoolDir, journals);
      const t0 = Date.now();
      while (h.ok() < t && h.child.exitCode === null && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 2));
      h.child.kill('SIGKILL');
      await closed(h.child);
      killedAt.push(h.ok());
    }
    // the last run reads to the end, then stops cleanly on SIGTERM
    const last = startHarness(spoolDir, journals);
    const t0 = Date.now();
    while (last.ok() < TOTAL - 1 && Date.now() - t0 < 40_000) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300)); // a repeat past the end would show up here
    last.child.kill('SIGTERM');
    expect(await closed(last.child)).toBe(0);

    const tRun = Date.now();
    // read back everything the spool holds
    const spool = Spool.open({ dir: spoolDir }, { log: memoryLogger(), metrics: new Metrics() });
    const count = new Map<number, number>();
    let stored = 0;
    try {
      for (let after = 0; ; ) {
        const batches = spool.read('default', 200, after);
        if (batches.length === 0) break;
        after = batches.at(-1)!.id;
        for (const b of batches)
          for (const e of b.entries)
            for (const line of e.payload.toString('utf8').split('\n')) {
              if (!line) continue;
              const seq = Number(JSON.parse(line).attributes['journald.seq']);
              count.set(seq, (count.get(seq) ?? 0) + 1);
              stored++;
            }
      }
    } finally {
      await spool.close();
    }
    console.log(`journald kill -9: journal written in ${tGen - tStart} ms, ${KILLS} kills + final run ${tRun - tGen} ms, read back ${Date.now() - tRun} ms; killed at ${killedAt.join(', ')}`);
    // the kills really happened mid-stream
    expect(killedAt.filter((n) => n > 0 && n < TOTAL - 1).length).toBeGreaterThanOrEqual(KILLS - 1);
    const repeated = [...count].filter(([, n]) => n > 1).slice(0, 5);
    const missing = Array.from({ length: TOTAL }, (_, i) => i).filter((i) => !count.has(i)).slice(0, 5);
    expect({ repeated, missing }).toEqual({ repeated: [], missing: [] });
    expect(stored).toBe(TOTAL);
    expect(count.size).toBe(TOTAL);
  });
});
