// A Vector config that does not parse is reported with its line, and the command exits 1.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importVector } from '../../../cli/import/vector/index.js';
import { isFlowlogError } from '../../../core/errors.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const main = join(import.meta.dirname, '..', '..', '..', 'cli', 'main.ts');

function parseError(text: string, file: string): string {
  try {
    importVector(text, file);
  } catch (e) {
    expect(isFlowlogError(e, 'CONFIG_PARSE')).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected a parse error');
}

describe('import vector: configs that do not parse', () => {
  it('TOML: names file, line and column', () => {
    // line 6 opens an array that line 7 does not continue; the TOML parser stops at line 7
    expect(parseError(readFileSync(join(fixtures, 'broken.toml'), 'utf8'), 'broken.toml')).toMatch(/^broken\.toml:7:1: not valid TOML/);
    expect(parseError('[sources.a]\ntype = "file"\ntype = "journald"\n', 'dup.toml')).toMatch(/^dup\.toml:3:\d+: not valid TOML/);
  });

  it('YAML and JSON: name file and line', () => {
    expect(parseError(readFileSync(join(fixtures, 'broken.yaml'), 'utf8'), 'broken.yaml')).toMatch(/^broken\.yaml:6:\d+: not valid YAML/);
    expect(parseError('{\n  "sources": {\n    "a": {"type": "file",}\n  ', 'v.json')).toMatch(/^v\.json:\d+:\d+: not valid JSON/);
  });

  it('the command prints the error and exits 1, writing nothing to stdout', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', main, 'import', 'vector', join(fixtures, 'broken.toml')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/broken\.toml:7:1: not valid TOML/);
  });
});
