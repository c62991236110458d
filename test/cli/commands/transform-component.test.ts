// `flowlog transform build --component` compiles an AssemblyScript source that re-exports
// "flowlog/sdk/component" into a Component Model transform; `flowlog transform test` runs it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
// asc compiles take 20-50 s on an overloaded 2-core machine: generous timeouts, no timing assertions
const cli = (args: string[], input = '') =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), ...args], { cwd: root, input, encoding: 'utf8', timeout: 170_000 });

test('build --component makes a Component Model transform that `transform test` runs', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'flowlog-cli-')), 'comp_word.wasm');
  const b = cli(['transform', 'build', 'test/fixtures/transforms-src/comp_word.as.ts', '-o', out, '--component']);
  expect(b.status, b.stderr).toBe(0);
  expect(b.stderr).toMatch(/component, \d+ bytes, sha256 [0-9a-f]{64}/);
  const r = cli(['transform', 'test', out, '--config', '{"word":"WARN"}'], 'a WARN\nb\nc WARN\n');
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).body)).toEqual(['a WARN', 'c WARN']);
  expect(r.stderr).toContain('in 3, kept 2, dropped 1, modified 0');
}, 180_000);
