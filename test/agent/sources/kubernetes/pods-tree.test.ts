// kubernetes_logs over generated /var/log/pods and /var/lib/docker/containers trees in a temporary
// root: path metadata, namespace filters, kubelet rotation under load, restart from checkpoints.
import { appendFileSync, closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kubernetesConfig } from '../../../../agent/sources/kubernetes/config.js';
import { KubernetesLogsSource } from '../../../../agent/sources/kubernetes/source.js';
import { runSource, seqs, tempDir, until, type Running } from '../harness.js';
import { cri, dockerFile, podDir } from './tree.js';

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function start(root: string, extra: Record<string, unknown> = {}, checkpoints?: Map<string, string>): Running {
  const cfg = kubernetesConfig.parse({ pods_root: join(root, 'pods'), docker_root: join(root, 'docker'), glob_interval_ms: 50, rotate_wait_ms: 300, ...extra });
  const r = runSource(new KubernetesLogsSource(cfg), { checkpoints });
  cleanup.push(() => r.stop());
  return r;
}

describe('kubernetes_logs over a generated node', () => {
  it('attaches path metadata and CRI times, reads Docker json-file logs, filters namespaces', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const d1 = podDir(dir, 'shop', 'web-7d4b9c-x2k', '1111-aaaa', 'nginx');
    appendFileSync(join(d1, '0.log'), cri(0, 3));
    appendFileSync(join(d1, '1.log'), cri(3, 5, 'stderr'));
    const d2 = podDir(dir, 'kube-system', 'coredns-abc', '2222-bbbb', 'coredns');
    appendFileSync(join(d2, '0.log'), cri(100, 102));
    appendFileSync(join(d2, 'ignored.txt'), 'not a log\n');
    dockerFile(dir, 'a'.repeat(64), [{ log: 'from docker\n' }]);
    const r = start(dir, { exclude_namespaces: ['kube-system'] });
    await until(() => r.events.length >= 6);
    await sleep(200);
    expect(r.events).toHaveLength(6);
    const e = r.events.find((x) => x.body === 'seq=3 message')!;
    expect(e.attributes).toMatchObject({
      'k8s.namespace.name': 'shop',
      'k8s.pod.name': 'web-7d4b9c-x2k',
      'k8s.pod.uid': '1111-aaaa',
      'k8s.container.name': 'nginx',
      'k8s.container.restart_count': 1,
      'log.iostream': 'stderr',
      'log.file.path': join(d1, '1.log'),
    });
    expect([e.timeMs, e.timeNs]).toEqual([Date.parse('2026-11-24T10:00:00.003Z'), 123456]);
    expect(e.observedMs).toBeGreaterThan(e.timeMs);
    const dk = r.events.find((x) => x.body === 'from docker')!;
    expect(dk.attributes['container.id']).toBe('a'.repeat(64));
    expect(seqs(r.events).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
    // a pod created later is found; include_namespaces limits to the listed ones
    const r2 = start(dir, { include_namespaces: ['kube-system'], docker_root: '' });
    await until(() => r2.events.length >= 2);
    expect(seqs(r2.events)).toEqual([100, 101]);
    const d3 = podDir(dir, 'kube-system', 'late-pod', '3333-cccc', 'app');
    appendFileSync(join(d3, '0.log'), cri(200, 201));
    await until(() => r2.events.length >= 3);
    expect(r2.events[2]!.attributes['k8s.pod.name']).toBe('late-pod');
  });

  it('kubelet rotation (0.log renamed to 0.log.<timestamp>, new 0.log) under load loses and repeats nothing', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const d = podDir(dir, 'shop', 'api-1', '4444-dddd', 'api');
    const live = join(d, '0.log');
    let fd = openSync(live, 'a');
    let seq = 0;
    const timer = setInterval(() => writeSync(fd, cri(seq, (seq += 20))), 10); // ~2k lines/s
    cleanup.push(() => clearInterval(timer));
    const r = start(dir);
    for (let i = 0; i < 5; i++) {
      await sleep(400);
      renameSync(live, `${live}.20261124-10000${i}`);
      closeSync(fd);
      fd = openSync(live, 'a');
    }
    await sleep(300);
    clearInterval(timer);
    closeSync(fd);
    const total = seq;
    expect(total).toBeGreaterThan(3000);
    await until(() => r.events.length >= total, 60_000, `${total} events`);
    await sleep(300);
    const got = seqs(r.events).sort((a, b) => a - b);
    expect(got.length).toBe(total);
    expect(got.every((v, i) => v === i)).toBe(true);
  });

  it('restart resumes after the last emitted line and never past a held partial line', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const d = podDir(dir, 'shop', 'api-2', '5555-eeee', 'api');
    const f = join(d, '0.log');
    appendFileSync(f, cri(0, 500) + '2026-11-24T10:00:01.000000001Z stdout P first half, ');
    appendFileSync(f, '\n');
    const first = start(dir, { partial_timeout_ms: 60_000 });
    await until(() => first.events.length === 500);
    await sleep(200);
    await first.stop();
    expect(first.events).toHaveLength(500); // the partial is held, not emitted
    appendFileSync(f, '2026-11-24T10:00:01.000000002Z stdout F second half\n' + cri(500, 600));
    const second = start(dir, {}, first.checkpoints);
    await until(() => second.events.length >= 101);
    await sleep(200);
    expect(second.events[0]!.body).toBe('first half, second half');
    const all = [...seqs(first.events), ...seqs(second.events)].sort((a, b) => a - b);
    expect(all.length).toBe(600);
    expect(all.every((v, i) => v === i)).toBe(true);
  });

  it('a container log rotated by kubelet while the source was down is finished with its pod metadata', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const d = podDir(dir, 'shop', 'api-3', '6666-ffff', 'api');
    const live = join(d, '0.log');
    appendFileSync(live, cri(0, 200));
    const first = start(dir);
    await until(() => first.events.length === 200);
    await first.stop();
    appendFileSync(live, cri(200, 300));
    renameSync(live, `${live}.20261124-101500`); // kubelet's rotated name: not tailed as a live file
    appendFileSync(live, cri(300, 350));
    const second = start(dir, {}, first.checkpoints);
    await until(() => second.events.length >= 150, 30_000, '150 events');
    await sleep(300);
    const all = [...seqs(first.events), ...seqs(second.events)].sort((a, b) => a - b);
    expect(all.length).toBe(350);
    expect(all.every((v, i) => v === i)).toBe(true);
    const recovered = second.events.find((e) => e.body === 'seq=250 message')!;
    expect(recovered.attributes).toMatchObject({ 'k8s.pod.name': 'api-3', 'k8s.container.name': 'api', 'log.file.path': `${live}.20261124-101500` });
  });
});
