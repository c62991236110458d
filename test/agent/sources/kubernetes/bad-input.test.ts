// Bad container log input through the whole kubernetes_logs source: counted, logged once per file
// with the reason, never fatal, never stalling the other files.
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kubernetesConfig } from '../../../../agent/sources/kubernetes/config.js';
import { KubernetesLogsSource } from '../../../../agent/sources/kubernetes/source.js';
import { runSource, tempDir, until, type Running } from '../harness.js';
import { cri, podDir } from './tree.js';

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function start(root: string, extra: Record<string, unknown> = {}): Running {
  const cfg = kubernetesConfig.parse({ pods_root: join(root, 'pods'), docker_root: '', glob_interval_ms: 30, rotate_wait_ms: 50, ...extra });
  const r = runSource(new KubernetesLogsSource(cfg));
  cleanup.push(() => r.stop());
  return r;
}

describe('kubernetes_logs bad input', () => {
  it('a 50 MiB CRI line becomes one event capped at max_merged_line_bytes; malformed lines are counted and logged once per file', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const d = podDir(dir, 'shop', 'noisy', 'uid-1', 'app');
    const f = join(d, '0.log');
    appendFileSync(f, '2026-11-24T10:00:00.000000001Z stdout F ');
    const mib = Buffer.alloc(1024 * 1024, 'q');
    for (let i = 0; i < 50; i++) appendFileSync(f, mib);
    appendFileSync(f, '\ngarbage line\n2026-11-24T10:00:00Z stdout F nul\0inside\n{"log":"cut\n' + cri(0, 1));
    const r = start(dir, { max_merged_line_bytes: 2 * 1024 * 1024 });
    await until(() => r.events.some((e) => e.body === 'seq=0 message'), 60_000, 'lines after the long one');
    expect(r.events).toHaveLength(5);
    expect(r.events[0]!.body.length).toBe(2 * 1024 * 1024);
    expect(r.events[0]!.attributes['log.truncated']).toBe(true);
    expect(r.events.map((e) => e.body).slice(1)).toEqual(['garbage line', 'nul\0inside', '{"log":"cut', 'seq=0 message']);
    expect(r.metrics.valueOf('flowlog_source_parse_errors_total', { component: 'src' })).toBe(2);
    expect(r.log.records.filter((l) => l.path === f && typeof l.reason === 'string')).toHaveLength(1);
  });

  it('a log path that turns into a directory is counted once; the pod\'s other files keep flowing', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const d = podDir(dir, 'shop', 'web', 'uid-2', 'app');
    appendFileSync(join(d, '0.log'), cri(0, 2));
    const r = start(dir);
    await until(() => r.events.length === 2);
    rmSync(join(d, '0.log'));
    mkdirSync(join(d, '0.log'));
    appendFileSync(join(d, '1.log'), cri(2, 4));
    await until(() => r.events.length === 4, 10_000, 'the next restart file');
    await until(() => r.metrics.valueOf('flowlog_source_file_errors_total', { component: 'src', reason: 'not_a_file' }) === 1, 10_000, 'counted');
    await sleep(150);
    expect(r.metrics.valueOf('flowlog_source_file_errors_total', { component: 'src', reason: 'not_a_file' })).toBe(1);
    appendFileSync(join(d, '1.log'), cri(4, 5));
    await until(() => r.events.length === 5, 10_000, 'still reading');
  });
});
