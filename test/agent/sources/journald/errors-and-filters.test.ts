// Failure handling and filters: a missing journalctl is a clear coded error naming journalctl_path;
// a corrupt journal file next to good ones: journalctl's complaint is logged and the good files
// keep flowing (also entries appended later); include_units / exclude_units / include_matches /
// include_kernel select the right entries; the config rejects unknown keys.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { journaldConfig } from '../../../../agent/sources/journald/config.js';
import { isFlowlogError } from '../../../../core/errors.js';
import { config, seqEntry, startSource, unavailableReason, writeJournal } from './fixtures.js';

const skip = unavailableReason();
const root = mkdtempSync(join(tmpdir(), 'flowlog-jd-err-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function freshDir(name: string): string {
  const d = join(root, name);
  mkdirSync(d);
  return d;
}
const seqs = (s: ReturnType<typeof startSource>) => s.events().map((e) => Number(e.attributes['journald.seq']));

describe('journald config', () => {
  it('rejects unknown keys and bad match field names, and fills defaults', () => {
    expect(journaldConfig.safeParse({ units: ['a'] }).success).toBe(false);
    expect(journaldConfig.safeParse({ include_matches: { 'bad name': ['x'] } }).success).toBe(false);
    const c = journaldConfig.parse({});
    expect(c).toMatchObject({ journalctl_path: 'journalctl', since_now: false, batch_size: 1024, include_kernel: true, lowercase_fields: true, strip_underscores: true });
  });
});

describe('journald missing journalctl', () => {
  it('fails with an error that names journalctl_path', async () => {
    const s = startSource(config({ journalctl_path: join(root, 'no-such-journalctl') }));
    let err: unknown;
    try {
      await s.running;
    } catch (e) {
      err = e;
    }
    await s.stop().catch(() => {});
    expect(isFlowlogError(err, 'SOURCE_PROCESS')).toBe(true);
    expect(String((err as Error).message)).toContain('journalctl_path');
    expect(String((err as Error).message)).toContain('no-such-journalctl');
  });
});

describe.skipIf(skip)(`journald bad journal files and filters${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('logs journalctl\'s complaint about a corrupt file and keeps reading the good ones', async () => {
    const dir = freshDir('corrupt');
    const good = join(dir, 'good.journal');
    await writeJournal(good, Array.from({ length: 20 }, (_, i) => seqEntry(i)));
    // a file that is no journal at all
    writeFileSync(join(dir, 'garbage.journal'), randomBytes(64 * 1024), { mode: 0o600 });
    const s = startSource(config({ journal_directory: dir }));
    try {
      await s.until(() => s.events().length >= 20, 20_000, 'the good file');
      await writeJournal(good, [seqEntry(20), seqEntry(21)]);
      await s.until(() => s.events().length >= 22, 20_000, 'entries appended to the good file');
    } finally {
      await s.stop();
    }
    expect(seqs(s)).toEqual(Array.from({ length: 22 }, (_, i) => i));
    const complaints = s.log.records.filter((r) => r.msg === 'journalctl' && String(r.stderr).includes('garbage.journal'));
    expect(complaints.length).toBeGreaterThanOrEqual(1);
    expect(String(complaints[0]!.stderr)).toMatch(/corrupt/i);
    expect(s.metrics.valueOf('flowlog_source_journald_stderr_lines_total', { component: 'jd' })).toBeGreaterThanOrEqual(1);
  });

  it('applies include_units, exclude_units, include_matches and include_kernel', async () => {
    const dir = freshDir('filters');
    const units = ['a.service', 'b.service', 'c.service'];
    await writeJournal(
      join(dir, 'f.journal'),
      Array.from({ length: 30 }, (_, i) =>
        i % 10 === 9
          ? (() => {
              const e = seqEntry(i, { _TRANSPORT: 'kernel', SYSLOG_IDENTIFIER: 'kernel' });
              delete e._SYSTEMD_UNIT;
              return e;
            })()
          : seqEntry(i, { _SYSTEMD_UNIT: units[i % 3]!, COLOR: i % 2 === 0 ? 'red' : 'blue' }),
      ),
    );
    const run = async (over: Record<string, unknown>, expected: number) => {
      const s = startSource(config({ journal_directory: dir, ...over }));
      try {
        await s.until(() => s.events().length >= expected, 20_000, `${expected} entries for ${JSON.stringify(over)}`);
        await s.until(() => s.batches.some((b) => b.checkpoints?.[0]?.value.includes(';i=')), 20_000, 'a checkpoint');
        await new Promise((r) => setTimeout(r, 300)); // anything unexpected would show up here
      } finally {
        await s.stop();
      }
      return seqs(s);
    };
    const all = Array.from({ length: 30 }, (_, i) => i);
    const isKernel = (i: number) => i % 10 === 9;
    const unitOf = (i: number) => units[i % 3];
    const expectA = all.filter((i) => !isKernel(i) && unitOf(i) === 'a.service');
    expect(await run({ include_units: ['a'] }, expectA.length)).toEqual(expectA);
    const notB = all.filter((i) => isKernel(i) || unitOf(i) !== 'b.service');
    expect(await run({ exclude_units: ['b.service'] }, notB.length)).toEqual(notB);
    const redA = all.filter((i) => !isKernel(i) && unitOf(i) === 'a.service' && i % 2 === 0);
    expect(await run({ include_units: ['a'], include_matches: { COLOR: ['red'] } }, redA.length)).toEqual(redA);
    const blueOrRed = all.filter((i) => !isKernel(i));
    expect(await run({ include_matches: { COLOR: ['red', 'blue'] } }, blueOrRed.length)).toEqual(blueOrRed);
    expect(await run({ include_kernel: false }, blueOrRed.length)).toEqual(blueOrRed);
  });
});
