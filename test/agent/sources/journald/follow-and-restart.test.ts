// Following and supervision on real journal files: entries appended while the source follows arrive
// (latency measured and printed, arrival asserted with a generous deadline); journalctl cut off in
// the middle of the stream again and again is restarted from the last cursor handed downstream with
// no gap and no repeat; a full downstream stops reading (bounded); stopping ends journalctl.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { config, seqEntry, startSource, unavailableReason, writeJournal } from './fixtures.js';

const skip = unavailableReason();
const root = mkdtempSync(join(tmpdir(), 'flowlog-jd-follow-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function freshDir(name: string): string {
  const d = join(root, name);
  mkdirSync(d);
  return d;
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => seqEntry(from + i));
const seqs = (s: ReturnType<typeof startSource>) => s.events().map((e) => Number(e.attributes['journald.seq']));

/** Processes whose command line mentions `needle` (to check that nothing was left running). */
function processesWith(needle: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', '--', needle], { encoding: 'utf8' }).split('\n').filter((l) => l.trim() && !l.includes('pgrep'));
  } catch {
    return [];
  }
}

describe.skipIf(skip)(`journald follow and restart${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('picks up entries appended while following', async () => {
    const dir = freshDir('follow');
    const file = join(dir, 'f.journal');
    await writeJournal(file, range(0, 100));
    const s = startSource(config({ journal_directory: dir }));
    try {
      await s.until(() => s.events().length >= 100, 30_000, 'the first 100 entries');
      const latencies: number[] = [];
      for (let round = 1; round <= 3; round++) {
        const from = round * 100;
        const t0 = Date.now();
        await writeJournal(file, range(from, 10));
        await s.until(() => s.events().length >= 100 + round * 10, 20_000, `appended entries ${from}..${from + 9}`);
        latencies.push(Date.now() - t0);
      }
      console.log(`journald follow: appended entries arrived after ${latencies.join(', ')} ms (incl. systemd-journal-remote run)`);
      expect(seqs(s)).toEqual([...Array.from({ length: 100 }, (_, i) => i), ...[100, 200, 300].flatMap((b) => Array.from({ length: 10 }, (_, i) => b + i))]);
      // the stored 100 came from the catch-up pass, the rest from the follow run after it: not a restart
      expect(s.metrics.valueOf('flowlog_source_journald_restarts_total', { component: 'jd' })).toBe(0);
    } finally {
      await s.stop();
    }
    expect(processesWith(dir)).toEqual([]);
  });

  it('restarts journalctl cut off mid-stream from the last cursor, without gap or repeat', async () => {
    const dir = freshDir('cut');
    await writeJournal(join(dir, 'c.journal'), range(0, 6000));
    // real journalctl whose output is cut after ~600 kB each run (mid-entry): journalctl dies of SIGPIPE
    const wrapper = join(root, 'journalctl-cut.sh');
    writeFileSync(wrapper, '#!/bin/sh\njournalctl "$@" | stdbuf -o0 head -c 600000\n');
    chmodSync(wrapper, 0o755);
    const s = startSource(config({ journal_directory: dir, journalctl_path: wrapper, batch_size: 200 }));
    try {
      await s.until(() => s.events().length >= 6000, 60_000, '6000 entries through restarts');
      await new Promise((r) => setTimeout(r, 300)); // a repeat after the last restart would show here
    } finally {
      await s.stop();
    }
    expect(seqs(s)).toEqual(Array.from({ length: 6000 }, (_, i) => i));
    expect(s.metrics.valueOf('flowlog_source_journald_restarts_total', { component: 'jd' })).toBeGreaterThanOrEqual(3);
    expect(s.log.records.some((r) => r.msg === 'journalctl exited; restarting it')).toBe(true);
  }, 80_000);

  it('stops reading while downstream is full, and loses nothing once it drains', async () => {
    const dir = freshDir('backpressure');
    await writeJournal(join(dir, 'b.journal'), range(0, 20_000));
    const s = startSource(config({ journal_directory: dir, batch_size: 100 }), {}, 2, { paused: true });
    try {
      await new Promise((r) => setTimeout(r, 1500));
      // channel capacity 2 batches + one blocked send: the source cannot have handed over more
      const handed = s.metrics.valueOf('flowlog_source_events_total', { component: 'jd' }) ?? 0;
      expect(handed).toBeLessThanOrEqual(300);
      expect(s.events().length).toBe(0);
      // and journalctl itself is blocked writing to its full stdout (Node gives children a socketpair,
      // a pipe elsewhere): the source stopped reading
      const pid = processesWith(`--directory=${dir}`)[0]?.split(' ')[0];
      expect(pid).toBeDefined();
      const wchan = readFileSync(`/proc/${pid}/wchan`, 'utf8');
      if (wchan !== '0') expect(wchan).toMatch(/pipe_write|sock_alloc_send|sk_stream_wait_memory/); // '0' where the kernel hides wait channels
      else console.log('journald backpressure: /proc/PID/wchan hidden here, pipe-blocked check not made');
      s.resume();
      await s.until(() => s.events().length >= 20_000, 40_000, 'all 20000 entries after resuming');
    } finally {
      await s.stop();
    }
    expect(seqs(s)).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
  }, 60_000);

  it('stops cleanly while blocked on a full downstream, leaving no journalctl behind', async () => {
    const dir = freshDir('stop-blocked');
    await writeJournal(join(dir, 's.journal'), range(0, 5000));
    const s = startSource(config({ journal_directory: dir, batch_size: 100 }), {}, 1, { paused: true });
    await s.until(() => processesWith(dir).length > 0, 20_000, 'journalctl to start');
    await new Promise((r) => setTimeout(r, 500));
    await s.stop(); // hung before unread pipe data was dropped on stop
    expect(processesWith(dir)).toEqual([]);
    // what was handed over is a prefix, in order
    expect(seqs(s)).toEqual(Array.from({ length: seqs(s).length }, (_, i) => i));
  });

  it('starts at the tail with since_now, checkpoints that start, and reads only newer entries', async () => {
    const dir = freshDir('since-now');
    const file = join(dir, 'n.journal');
    await writeJournal(file, range(0, 50));
    const s = startSource(config({ journal_directory: dir, since_now: true }));
    try {
      await s.until(() => s.batches.length >= 1, 20_000, 'the starting checkpoint');
      expect(s.batches[0]!.events).toEqual([]);
      expect(s.batches[0]!.checkpoints![0]!.value).toMatch(/;i=32;/); // seqnum (hex) of entry 49: 0x32 = 50
      await writeJournal(file, range(50, 5));
      await s.until(() => s.events().length >= 5, 20_000, 'entries written after the start');
    } finally {
      await s.stop();
    }
    expect(seqs(s)).toEqual([50, 51, 52, 53, 54]);
  });

  it('resumes strictly after a stored checkpoint', async () => {
    const dir = freshDir('resume');
    await writeJournal(join(dir, 'r.journal'), range(0, 30));
    const first = startSource(config({ journal_directory: dir, batch_size: 10 }));
    let cursorOf9 = '';
    try {
      await first.until(() => first.events().length >= 30, 20_000, '30 entries');
      cursorOf9 = first.batches.find((b) => b.events.at(-1)?.attributes['journald.seq'] === '9')!.checkpoints![0]!.value;
    } finally {
      await first.stop();
    }
    const again = startSource(config({ journal_directory: dir }), { journal: cursorOf9 });
    try {
      await again.until(() => again.events().length >= 20, 20_000, 'the 20 entries after the checkpoint');
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await again.stop();
    }
    expect(seqs(again)).toEqual(Array.from({ length: 20 }, (_, i) => 10 + i));
  });
});
