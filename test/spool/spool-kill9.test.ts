// kill -9 at 50 random moments: a child appends sequence-numbered records for three sources (each
// resuming after its durable checkpoint) while a consumer loop reads, delivers and acks batches. After
// every kill the spool is reopened and checked: nothing lost, nothing present twice, checkpoints exact.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { openSpool, readAll, recordsOf, tempDir } from './helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const writer = join(root, 'test', 'spool', 'fixtures', 'crash-writer.ts');
const KILLS = 50;
const SOURCES = ['a', 'b', 'c'];

const { dir, cleanup } = tempDir('flowlog-spool-kill9-');
const live = new Set<ChildProcess>();
afterAll(() => {
  for (const c of live) c.kill('SIGKILL');
  cleanup();
});

interface Run {
  child: ChildProcess;
  out: string;
  exited: Promise<void>;
  /** The child printed "loaded" (modules imported, waiting for "go"). */
  loaded: Promise<void>;
  /** An append resolved in the child. */
  progress: Promise<void>;
}

function start(): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, dir], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  live.add(child);
  let onLoaded!: () => void;
  let onProgress!: () => void;
  const run: Run = {
    child,
    out: '',
    // 'close', not 'exit': 'exit' can come before the last of the child's stdout has been read, and a
    // missed 'dlv' line would make records the child acked look lost
    exited: new Promise((r) => child.once('close', () => (live.delete(child), r()))),
    loaded: new Promise((r) => (onLoaded = r)),
    progress: new Promise((r) => (onProgress = r)),
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    run.out += d;
    if (run.out.startsWith('loaded\n')) onLoaded();
    if (run.out.includes('\nok ')) onProgress();
  });
  return run;
}

it('loses nothing and spools nothing twice across 50 SIGKILLs', { timeout: 300_000 }, async () => {
  const delivered = new Map<string, Set<number>>(SOURCES.map((s) => [s, new Set()]));
  const ackedConfirmed = new Map<string, Set<number>>(SOURCES.map((s) => [s, new Set()]));
  let runsWithProgress = 0;
  let midRunKills = 0;
  const t0 = Date.now();
  // two children load ahead (tsx start-up is slow on a loaded machine); each opens the spool only on "go"
  const ahead: Run[] = [start(), start()];
  for (let k = 0; k < KILLS; k++) {
    const run = ahead.shift()!;
    await run.loaded;
    if (k + ahead.length + 1 < KILLS) ahead.push(start());
    run.child.stdin!.write('go\n');
    // random moment: every 5th kill lands in Spool.open (quick_check, migrations) or just after,
    // the others within ~0.3 s after the first append resolved (concurrent appends, commits, reads, acks)
    if (k % 5 !== 0) await Promise.race([run.progress, run.exited]);
    await new Promise((r) => setTimeout(r, Math.random() * (k % 5 === 0 ? 150 : 300)));
    run.child.kill('SIGKILL');
    await run.exited;

    // parse what the child reported (a line cut by the kill has no '\n' and is ignored)
    const lines = run.out.split('\n');
    lines.pop();
    const resolved = new Map<string, number>();
    let block: [string, number[]][] = [];
    for (const line of lines) {
      const [kind, src, ...rest] = line.split(' ');
      if (kind === 'ok') resolved.set(src!, Math.max(resolved.get(src!) ?? 0, Number(rest[0])));
      else if (kind === 'dlv') {
        const seqs = rest.map(Number);
        block.push([src!, seqs]);
        for (const s of seqs) delivered.get(src!)!.add(s);
      } else if (kind === 'ackdone') {
        for (const [src2, seqs] of block) for (const s of seqs) ackedConfirmed.get(src2!)!.add(s);
        block = [];
      }
    }
    if (resolved.size) runsWithProgress++;
    if (resolved.size && !lines.includes('ready')) throw new Error('unexpected child output');
    if (lines.includes('ready')) midRunKills++;

    // reopen and check
    const { spool } = openSpool({ dir });
    const present = recordsOf(readAll(spool));
    const seen = new Map<string, Set<number>>(SOURCES.map((s) => [s, new Set()]));
    for (const r of present) {
      const set = seen.get(r.src)!;
      expect(set.has(r.seq), `run ${k}: ${r.src}#${r.seq} present twice`).toBe(false);
      set.add(r.seq);
      expect(ackedConfirmed.get(r.src)!.has(r.seq), `run ${k}: ${r.src}#${r.seq} was acked but is still present`).toBe(false);
    }
    for (const src of SOURCES) {
      const cp = Number(spool.checkpoints(src).get('pos') ?? 0);
      const have = seen.get(src)!;
      const gone = delivered.get(src)!;
      // every acknowledged append is durable: its last record is at or before the checkpoint
      expect(resolved.get(src) ?? 0, `run ${k}: resolved append of ${src} beyond checkpoint ${cp}`).toBeLessThanOrEqual(cp);
      // nothing spooled past the checkpoint (it would be spooled again on resume)
      for (const s of have) expect(s, `run ${k}: ${src}#${s} beyond checkpoint ${cp}`).toBeLessThanOrEqual(cp);
      // nothing lost: every record up to the checkpoint is still spooled or was delivered
      const missing: number[] = [];
      for (let s = 1; s <= cp; s++) if (!have.has(s) && !gone.has(s)) missing.push(s);
      expect(missing, `run ${k}: ${src} records lost`).toEqual([]);
      // the checkpoint is exactly the last record of that source that reached the spool
      let last = 0;
      for (const s of have) last = Math.max(last, s);
      for (const s of gone) last = Math.max(last, s);
      expect(last, `run ${k}: checkpoint of ${src}`).toBe(cp);
    }
    await spool.close();
  }
  for (const r of ahead) r.child.kill('SIGKILL');
  await Promise.all(ahead.map((r) => r.exited));

  // the test exercised real work, not 50 kills during start-up
  expect(runsWithProgress).toBeGreaterThanOrEqual((KILLS * 4) / 5);
  expect(midRunKills).toBeGreaterThanOrEqual((KILLS * 4) / 5);
  console.log(`kill -9 test: ${KILLS} kills, ${runsWithProgress} with resolved appends, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const { spool } = openSpool({ dir });
  const total = SOURCES.reduce((n, s) => n + Number(spool.checkpoints(s).get('pos') ?? 0), 0);
  expect(total).toBeGreaterThan(5000);
  await spool.close();
});
