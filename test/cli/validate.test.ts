import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { encoding: 'utf8', env: { ...process.env, FLOWLOG_LOG: 'error' } });

describe('flowlog validate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlog-validate-'));

  it('exits 0 for a valid config', () => {
    const f = join(dir, 'ok.yaml');
    writeFileSync(f, 'sources:\n  in: {type: stdin}\nsinks:\n  out: {type: console, inputs: [in]}\n');
    const r = cli('validate', '-c', f);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('valid, 2 components');
  });

  it('exits 1 naming file, line and key path on stderr', () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'sources:\n  in:\n    type: stdin\n    max_line_bytes: 12\nsinks:\n  out: {type: console, inputs: [in], target: tty}\n');
    const r = cli('validate', '-c', f);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${f}:4:21: sources.in.max_line_bytes: Too small: expected number to be >=1024`);
    expect(r.stderr).toMatch(new RegExp(`${f}:6:\\d+: sinks\\.out\\.target: .*"stdout"`));
  });

  it('says what to fix when the file is missing', () => {
    const r = cli('validate', '-c', join(dir, 'nope.yaml'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/nope\.yaml: cannot read config: ENOENT/);
  });

  it('prints --help and --version', () => {
    expect(cli('--help').stdout).toContain('validate');
    expect(cli('validate', '--help').stdout).toContain('--config <file>');
    expect(cli('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
