// `flowlog import vector FILE`: flowlog YAML on stdout with the report as comments on top, the same
// report on stderr, exit 0 (or 2 with --strict when something was not translated). The parts whose
// component types exist on this branch (http_server, console) pass flowlog's own validation.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registerAll } from '../../../cli/components.js';
import '../../../spool/config.js'; // registers the top-level spool section, as the agent command does
import { importVector } from '../../../cli/import/vector/index.js';
import { loadConfigText } from '../../../core/config/load.js';
import type { HttpServerConfig } from '../../../agent/sources/http/config.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const main = join(import.meta.dirname, '..', '..', '..', 'cli', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'flowlog-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', main, 'import', 'vector', ...args], { encoding: 'utf8' });

describe('flowlog import vector (command)', () => {
  it('writes YAML whose header lists what was not translated; stderr says the same', () => {
    const r = run(join(fixtures, 'node-agent.yaml'));
    expect(r.status).toBe(0);
    const header = r.stdout.split('\n').filter((l) => l.startsWith('#'));
    expect(header[1]).toBe('# NOT TRANSLATED (5): review before use.');
    expect(header.some((l) => /node-agent\.yaml:37: sources\.metrics_in\.type: Vector source type "host_metrics"/.test(l))).toBe(true);
    expect(r.stderr).toMatch(/node-agent\.yaml:37: not translated: sources\.metrics_in\.type/);
    expect(r.stderr).toMatch(/5 item\(s\) not translated/);
    // the body is the translated config
    const direct = importVector(readFileSync(join(fixtures, 'node-agent.yaml'), 'utf8'), join(fixtures, 'node-agent.yaml'));
    expect(parse(r.stdout)).toEqual(direct.config);
  });

  it('--strict exits 2 when something was not translated; -o writes the file', () => {
    const out = join(dir, 'flowlog.yaml');
    const r = run(join(fixtures, 'node-agent.yaml'), '--strict', '-o', out);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(parse(readFileSync(out, 'utf8')).sources.intake.type).toBe('http_server');
  });

  it('a fully translatable config: exit 0 even with --strict, and it passes flowlog validation', () => {
    const vector = [
      '[sources.from_fluent_bit]',
      'type = "http_server"',
      'address = "127.0.0.1:9880"',
      'path = "/ingest"',
      'decoding.codec = "json"',
      '',
      '[sinks.out]',
      'type = "console"',
      'inputs = ["from_fluent_bit"]',
      'encoding.codec = "json"',
      '',
    ].join('\n');
    const file = join(dir, 'vector.toml');
    writeFileSync(file, vector);
    const r = run(file, '--strict');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^# Everything was translated\.$/m);
    registerAll();
    const cfg = loadConfigText(r.stdout, join(dir, 'flowlog.yaml'));
    expect(cfg.components.map((c) => `${c.kind}:${c.name}:${c.type}`)).toEqual(['source:from_fluent_bit:http_server', 'sink:out:console']);
    const opts = cfg.components[0]!.options as HttpServerConfig;
    expect([opts.address, opts.path, opts.decoding.codec]).toEqual(['127.0.0.1:9880', '/ingest', 'auto']);
  });

  it('--help describes the command', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/translate a Vector config/);
    expect(r.stdout).toMatch(/--strict/);
  });
});

describe('translated fixtures pass flowlog validation (all component types merged)', () => {
  for (const name of ['k8s-to-kafka.toml', 'node-agent.yaml']) {
    it(`${name} → a valid agent config`, () => {
      registerAll();
      const { yaml, config } = importVector(readFileSync(join(fixtures, name), 'utf8'), name);
      const cfg = loadConfigText(yaml, join(dir, `${name}.flowlog.yaml`), { role: 'agent', env: { KAFKA_PASSWORD: 'x', VECTOR_SELF_NODE_NAME: 'node-1' } });
      const expected = ['sources', 'transforms', 'sinks'].flatMap((s) => Object.keys((config[s] as object | undefined) ?? {}));
      expect(cfg.components.map((c) => c.name).sort()).toEqual(expected.sort());
    });
  }
});
