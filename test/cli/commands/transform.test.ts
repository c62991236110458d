// `flowlog transform build` compiles an AssemblyScript source that imports "flowlog/sdk" into a module
// the agent accepts; `flowlog transform test` runs it (and a built-in by name) over NDJSON/plain lines.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
// asc compiles take 20-50 s on an overloaded 2-core machine: generous timeouts, no timing assertions
const cli = (args: string[], input = '') =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), ...args], { cwd: root, input, encoding: 'utf8', timeout: 170_000 });

test('build, then test a custom module with --config; counts on stderr', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'flowlog-cli-')), 'keep_word.wasm');
  const b = cli(['transform', 'build', 'test/fixtures/transforms-src/keep_word.as.ts', '-o', out]);
  expect(b.status, b.stderr).toBe(0);
  expect(existsSync(out)).toBe(true);
  expect(b.stderr).toMatch(/sha256 [0-9a-f]{64}; time budget: metered \(a fuel check in its loops\)/);

  const input = ['plain WARN line', '{"body":"json WARN line","attributes":{"a":1}}', 'nothing here', ''].join('\n');
  const r = cli(['transform', 'test', out, '--config', '{"word":"WARN"}'], input);
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.map((l) => [l.body, l.attributes])).toEqual([
    ['plain WARN line', { matched: 'WARN' }],
    ['json WARN line', { a: 1, matched: 'WARN' }],
  ]);
  expect(r.stderr).toContain('in 3, kept 2, dropped 1, modified 2');
}, 180_000);

test('test a built-in by name; a bad --config is a clear error', () => {
  const r = cli(['transform', 'test', 'redact'], 'card 4111111111111111\n');
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout).body).toBe('card ****************');
  const bad = cli(['transform', 'test', 'redact', '--config', '{nope'], 'x\n');
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/--config must be a JSON object/);
}, 60_000);
