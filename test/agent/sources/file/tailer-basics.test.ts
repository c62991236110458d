import { appendFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileConfig } from '../../../../agent/sources/file/config.js';
import { FileSource } from '../../../../agent/sources/file/source.js';
import { runSource, seqs, tempDir, until, type Running } from '../harness.js';

let cleanup: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function start(cfg: Record<string, unknown>, opts: Parameters<typeof runSource>[1] = {}): Running {
  const r = runSource(new FileSource(fileConfig.parse({ glob_interval_ms: 50, rotate_wait_ms: 200, ...cfg })), opts);
  cleanup.push(() => r.stop());
  return r;
}

describe('file source basics', () => {
  it('reads lines of files matching include minus exclude, with file attributes', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(join(dir, 'a', 'one.log'), 'seq=1\nseq=2\n');
    writeFileSync(join(dir, 'a', 'b', 'two.log'), 'seq=3\r\n');
    writeFileSync(join(dir, 'a', 'skip.log'), 'seq=99\n');
    writeFileSync(join(dir, 'a', 'other.txt'), 'seq=98\n');
    const r = start({ include: [join(dir, '**/*.log')], exclude: [join(dir, 'a/skip.*')] });
    await until(() => r.events.length >= 3);
    appendFileSync(join(dir, 'a', 'one.log'), 'seq=4\n');
    writeFileSync(join(dir, 'a', 'b', 'new.log'), 'seq=5\n');
    await until(() => r.events.length >= 5);
    expect(seqs(r.events).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    const e = r.events.find((x) => x.body === 'seq=3')!;
    expect(e.attributes['log.file.path']).toBe(join(dir, 'a', 'b', 'two.log'));
    expect(e.attributes['log.file.name']).toBe('two.log');
    expect(typeof e.attributes['host.name']).toBe('string');
  });

  it('gives the same bodies whether a chunk is decoded at once (ASCII) or line by line, across chunk edges', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    // small chunks so lines straddle them; an ASCII file, and one with UTF-8 and an invalid byte
    const ascii: string[] = [];
    for (let i = 0; i < 3000; i++) ascii.push(`seq=${i} ${'abc "q" \\ \t'.repeat(i % 7)}${i % 5 === 0 ? '\r' : ''}`);
    writeFileSync(join(dir, 'a.log'), ascii.join('\n') + '\n');
    const mixed = Buffer.concat([Buffer.from('seq=0 plain\nseq=1 café ünï\nseq=2 '), Buffer.from([0xff]), Buffer.from(' bad\nseq=3 end\n')]);
    writeFileSync(join(dir, 'b.log'), mixed);
    const r = start({ include: [join(dir, '*.log')], read_chunk_bytes: 4096, max_line_bytes: 100 });
    await until(() => r.events.filter((e) => e.attributes['log.file.name'] === 'b.log').length >= 4 && r.events.filter((e) => e.attributes['log.file.name'] === 'a.log' && !e.attributes['log.truncated']).length >= 2000);
    await new Promise((res) => setTimeout(res, 300));
    // lines over max_line_bytes come in 100-byte pieces: join them back per file
    const bodies = (name: string) => {
      const out: string[] = [];
      for (const e of r.events.filter((x) => x.attributes['log.file.name'] === name)) {
        if (e.attributes['log.truncated'] && out.length && !/^seq=\d+ /.test(e.body)) out[out.length - 1] += e.body;
        else out.push(e.body);
      }
      return out;
    };
    expect(bodies('a.log')).toEqual(ascii.map((l) => l.replace(/\r$/, '')));
    expect(bodies('b.log')).toEqual(['seq=0 plain', 'seq=1 café ünï', 'seq=2 \uFFFD bad', 'seq=3 end']);
    expect(r.events.find((e) => e.attributes['log.file.name'] === 'b.log' && e.body.startsWith('seq=2 '))!.attributes['log.invalid_utf8']).toBe(true);
  });

  it('read_from end skips existing content at the first start only', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    writeFileSync(join(dir, 'x.log'), 'seq=1\nseq=2\n');
    const r = start({ include: [join(dir, '*.log')], read_from: 'end' });
    await until(() => r.checkpoints.size > 0 || r.metrics.valueOf('flowlog_source_open_files', { component: 'src' }) === 1);
    appendFileSync(join(dir, 'x.log'), 'seq=3\n');
    await until(() => r.events.length >= 1);
    writeFileSync(join(dir, 'y.log'), 'seq=4\n'); // appears while running: read from its beginning
    await until(() => r.events.length >= 2);
    expect(seqs(r.events)).toEqual([3, 4]);
  });

  it('splits lines over max_line_bytes and flags them, replaces invalid UTF-8 and counts both', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const long = 'x'.repeat(300);
    writeFileSync(join(dir, 'x.log'), Buffer.concat([Buffer.from(long + '\nok\nbad '), Buffer.from([0xff, 0xfe]), Buffer.from(' nul\0\n')]));
    const r = start({ include: [join(dir, '*.log')], max_line_bytes: 128 });
    await until(() => r.events.length >= 5);
    expect(r.events.map((e) => e.body.length).slice(0, 3)).toEqual([128, 128, 44]);
    expect(r.events.slice(0, 3).every((e) => e.attributes['log.truncated'] === true)).toBe(true);
    expect(r.events[3]!.body).toBe('ok');
    expect(r.events[3]!.attributes['log.truncated']).toBeUndefined();
    expect(r.events[4]!.body).toBe('bad \uFFFD\uFFFD nul\0');
    expect(r.events[4]!.attributes['log.invalid_utf8']).toBe(true);
    expect(r.metrics.valueOf('flowlog_source_invalid_utf8_total', { component: 'src' })).toBe(1);
    expect(r.metrics.valueOf('flowlog_source_truncated_lines_total', { component: 'src' })).toBe(3);
  });

  it('joins multiline events by start pattern and flushes the last one after the timeout', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const trace = ['2026-01-01 ERROR boom', 'java.lang.RuntimeException: x', '\tat a.b(C.java:1)', '\tat d.e(F.java:2)'];
    writeFileSync(join(dir, 'app.log'), [...trace, '2026-01-01 INFO fine', 'Traceback (most recent call last):', '  File "x.py", line 1'].join('\n') + '\n');
    const r = start({ include: [join(dir, '*.log')], multiline: { start_pattern: '^(\\d{4}-|Traceback)', timeout_ms: 100 } });
    await until(() => r.events.length >= 3);
    expect(r.events.map((e) => e.body)).toEqual([trace.join('\n'), '2026-01-01 INFO fine', 'Traceback (most recent call last):\n  File "x.py", line 1']);
    // the checkpoint covers the whole file only once the last event was emitted
    const [, v] = [...r.checkpoints][0]!;
    expect(JSON.parse(v).o).toBe(Buffer.byteLength([...trace, '2026-01-01 INFO fine', 'Traceback (most recent call last):', '  File "x.py", line 1'].join('\n') + '\n'));
  });
});
