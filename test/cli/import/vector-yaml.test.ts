// A Vector node agent in YAML (fixtures/node-agent.yaml): journald, file and http_server sources,
// a filter over journald and file fields, sample, kafka and console sinks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { importVector } from '../../../cli/import/vector/index.js';

const file = join(import.meta.dirname, 'fixtures', 'node-agent.yaml');
const { config, report } = importVector(readFileSync(file, 'utf8'), 'node-agent.yaml');

describe('import vector: journald + file + http_server → kafka (YAML)', () => {
  it('translates to the exact flowlog structure', () => {
    expect(config).toEqual({
      data_dir: '/var/lib/vector',
      sources: {
        journal: {
          type: 'journald',
          include_units: ['sshd.service', 'kubelet.service'],
          exclude_units: ['systemd-journald.service'],
          include_matches: { PRIORITY: ['0', '1', '2', '3'] },
          since_now: false,
        },
        app_files: {
          type: 'file',
          include: ['/var/log/app/*.log'],
          exclude: ['/var/log/app/*.gz'],
          read_from: 'beginning',
          glob_interval_ms: 1000,
          multiline: { start_pattern: '^\\d{4}-\\d{2}-\\d{2}', timeout_ms: 1000 },
        },
        intake: { type: 'http_server', address: '0.0.0.0:8080', path: '/logs', decoding: { codec: 'auto' } },
      },
      transforms: {
        important: {
          type: 'filter',
          inputs: ['journal', 'app_files', 'intake'],
          condition: {
            any: [
              { attribute: 'systemd.unit', equals: 'sshd.service' },
              { attribute: 'syslog.identifier', equals: 'kubelet' },
              { all: [{ body_contains: 'ERROR' }, { not: { attribute: 'log.file.path', equals: '/var/log/app/debug.log' } }] },
            ],
          },
        },
        one_in_five: { type: 'sample', inputs: ['important'], rate: 5 },
      },
      sinks: {
        kafka_out: { type: 'kafka', inputs: ['one_in_five'], bootstrap_servers: '10.0.0.1:9092', topic: 'node-logs', key_field: 'host.name', compression: 'lz4', framing: 'single' },
        debug: { type: 'console', inputs: ['important'], encoding: { codec: 'text' } },
      },
    });
  });

  it('reports every untranslated piece with its file:line', () => {
    const bad = report.items.filter((i) => i.kind === 'not translated').map((i) => `${i.where} ${i.path}`);
    expect(bad).toEqual([
      'node-agent.yaml:10 sources.journal.current_boot_only',
      'node-agent.yaml:17 sources.app_files.ignore_older_secs',
      'node-agent.yaml:21 sources.app_files.fingerprint.lines',
      'node-agent.yaml:33 sources.intake.auth', // basic auth: flowlog takes a bearer token
      'node-agent.yaml:37 sources.metrics_in.type', // host_metrics
    ]);
    const notes = report.items.filter((i) => i.kind === 'note');
    expect(notes.map((i) => i.path)).toEqual(['sources.intake.address', 'sinks.kafka_out.encoding.codec', 'sinks.kafka_out.acknowledgements', 'sinks.debug.inputs']);
    expect(notes[3]!.message).toBe('input "metrics_in" was left out; nothing replaces it');
  });

  it('reads the same config as JSON with the same result and JSON line numbers', () => {
    const yamlCfg = readFileSync(file, 'utf8');
    const json = JSON.stringify(parse(yamlCfg), null, 2);
    const j = importVector(json, 'node-agent.json');
    expect(j.config).toEqual(config);
    const auth = j.report.items.find((i) => i.path === 'sources.intake.auth')!;
    const line = Number(auth.where.split(':')[1]);
    expect(json.split('\n')[line - 1]).toContain('"auth"');
  });
});
