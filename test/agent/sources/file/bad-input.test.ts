// Bad input never crashes or stalls the source: each case is counted (metric), logged once per file
// with its reason, and a healthy file next to it keeps being read.
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { fileConfig } from '../../../../agent/sources/file/config.js';
import { PlainDecoder } from '../../../../agent/sources/file/decoder.js';
import type { PathProvider } from '../../../../agent/sources/file/discovery.js';
import { TailEngine } from '../../../../agent/sources/file/engine.js';
import { FileSource } from '../../../../agent/sources/file/source.js';
import type { TailTarget } from '../../../../agent/sources/file/tailer.js';
import { runSource, tempDir, until, type Running } from '../harness.js';

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const errors = (r: Running, reason: string) => r.metrics.valueOf('flowlog_source_file_errors_total', { component: 'src', reason }) ?? 0;

describe('file source bad input', () => {
  it('a 50 MiB line is cut into 1 MiB pieces flagged log.truncated, and reading goes on', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const path = join(dir, 'big.log');
    const mib = Buffer.alloc(1024 * 1024, 'a');
    writeFileSync(path, 'before\n');
    for (let i = 0; i < 50; i++) appendFileSync(path, mib);
    appendFileSync(path, '\nafter\n');
    const r = runSource(new FileSource(fileConfig.parse({ include: [path] })));
    cleanup.push(() => r.stop());
    await until(() => r.events.some((e) => e.body === 'after'), 60_000, 'the line after');
    expect(r.events.length).toBe(52);
    expect(r.events[0]!.body).toBe('before');
    const pieces = r.events.slice(1, 51);
    expect(pieces.every((e) => e.body.length === 1024 * 1024 && e.attributes['log.truncated'] === true)).toBe(true);
    expect(r.events[51]!.attributes['log.truncated']).toBeUndefined();
    expect(r.metrics.valueOf('flowlog_source_truncated_lines_total', { component: 'src' })).toBe(50);
  });

  it('a path that turns into a directory is counted and logged once; other files keep flowing', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const odd = join(dir, 'odd.log');
    const good = join(dir, 'good.log');
    writeFileSync(odd, 'one\n');
    writeFileSync(good, 'g1\n');
    const r = runSource(new FileSource(fileConfig.parse({ include: [odd, good], glob_interval_ms: 30, rotate_wait_ms: 50 })));
    cleanup.push(() => r.stop());
    await until(() => r.events.length === 2);
    unlinkSync(odd);
    mkdirSync(odd);
    await until(() => errors(r, 'not_a_file') === 1, 10_000, 'not_a_file counted');
    await sleep(200); // several more scans: still counted and logged once
    appendFileSync(good, 'g2\n');
    await until(() => r.events.some((e) => e.body === 'g2'), 10_000, 'good file still read');
    expect(errors(r, 'not_a_file')).toBe(1);
    expect(r.log.records.filter((l) => l.path === odd && l.reason === 'not_a_file')).toHaveLength(1);
    // and when it becomes a file again it is read
    rmSync(odd, { recursive: true });
    writeFileSync(odd, 'two\n');
    await until(() => r.events.some((e) => e.body === 'two'), 10_000, 'file again');
  });

  it('a file deleted between discovery and open is counted as vanished, never fatal', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const good = join(dir, 'good.log');
    writeFileSync(good, 'g1\n');
    const gone = join(dir, 'gone.log');
    const target = (path: string): TailTarget => ({ path, decoder: () => new PlainDecoder(), attributes: () => ({}) });
    // a provider that lists a file and lets it vanish before the engine opens it
    const provider: PathProvider = {
      async scan() {
        writeFileSync(gone, 'never read\n');
        const list = [target(gone), target(good)];
        unlinkSync(gone);
        return list;
      },
      watchDirs: () => [dir],
    };
    const cfg = fileConfig.parse({ include: [good], glob_interval_ms: 30 });
    const r = runSource({ run: (ctx) => new TailEngine(provider, { ...cfg, held_timeout_ms: 1000 }).run(ctx) });
    cleanup.push(() => r.stop());
    await until(() => r.events.length === 1);
    await sleep(150);
    appendFileSync(good, 'g2\n');
    await until(() => r.events.length === 2);
    expect(r.events.map((e) => e.body)).toEqual(['g1', 'g2']);
    expect(errors(r, 'vanished')).toBe(1);
    expect(r.log.records.filter((l) => l.path === gone)).toHaveLength(1);
  });

  it('permission denied is counted and logged once (reader runs as uid 65534 in a child process)', () => {
    // root reads any file, so the source runs as "nobody" to meet a real EACCES
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'secret.log'), 'hidden\n', { mode: 0o600 });
    writeFileSync(join(dir, 'open.log'), 'visible\n', { mode: 0o644 });
    const script = fileURLToPath(new URL('./fixtures/run-file-source.ts', import.meta.url));
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const res = spawnSync(process.execPath, ['--import', 'tsx', script, join(dir, '*.log'), '1'], {
      ...asNobody,
      cwd: process.cwd(),
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, HOME: dir },
    });
    expect(res.status, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { bodies: string[]; denied: number; logs: Record<string, unknown>[] };
    expect(out.bodies).toEqual(['visible']);
    expect(out.denied).toBe(1);
    expect(out.logs.filter((l) => l.reason === 'permission_denied')).toHaveLength(1);
  });
});
