// Pod metadata enrichment. No real Kubernetes API server can run here, so a local HTTP server plays
// one, speaking the documented API exactly: GET /api/v1/pods?fieldSelector=spec.nodeName=<node>
// answers a PodList ({kind, apiVersion, metadata: {resourceVersion, continue}, items}) paginated
// with limit/continue, and ...&watch=true&resourceVersion=<rv> streams newline-delimited watch
// events ({"type": "ADDED"|"MODIFIED"|"DELETED"|"BOOKMARK"|"ERROR", "object": Pod}) over a chunked
// response. A second server accepts connections and never answers (an API that hangs).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kubernetesConfig } from '../../../../agent/sources/kubernetes/config.js';
import { KubernetesLogsSource } from '../../../../agent/sources/kubernetes/source.js';
import { runSource, tempDir, until, type Running } from '../harness.js';
import { cri, dockerFile, podDir } from './tree.js';

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function pod(name: string, uid: string, opts: { labels?: Record<string, string>; annotations?: Record<string, string>; rv: string; containerId?: string }) {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name,
      namespace: 'shop',
      uid,
      resourceVersion: opts.rv,
      labels: opts.labels ?? {},
      annotations: opts.annotations ?? {},
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-rs`, uid: 'rs-uid', controller: true, blockOwnerDeletion: true }],
    },
    spec: { nodeName: 'node-a', containers: [{ name: 'app', image: 'x' }] },
    status: { phase: 'Running', containerStatuses: opts.containerId ? [{ name: 'app', containerID: `containerd://${opts.containerId}`, restartCount: 2, ready: true }] : [] },
  };
}

class FakeApi {
  server: Server;
  requests: { url: URL; auth: string | undefined }[] = [];
  watchers: ServerResponse[] = [];
  private sockets = new Set<Socket>();
  constructor(private items: unknown[]) {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url!, 'http://x');
    this.requests.push({ url, auth: req.headers.authorization });
    if (url.pathname !== '/api/v1/pods') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404 }));
      return;
    }
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      this.watchers.push(res);
      return;
    }
    // one item per page: exercises limit/continue pagination
    const i = Number(url.searchParams.get('continue') ?? '0');
    const more = i + 1 < this.items.length;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1000', ...(more ? { continue: String(i + 1) } : {}) }, items: this.items.slice(i, i + 1) }));
  }
  send(type: string, object: unknown): void {
    for (const w of this.watchers) w.write(JSON.stringify({ type, object }) + '\n');
  }
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

function start(root: string, url: string, tokenFile: string): { r: Running; src: KubernetesLogsSource } {
  const cfg = kubernetesConfig.parse({
    pods_root: join(root, 'pods'),
    docker_root: join(root, 'docker'),
    glob_interval_ms: 50,
    api: { enabled: true, url, token_file: tokenFile, ca_file: join(root, 'no-ca.crt'), node_name: 'node-a' },
  });
  const src = new KubernetesLogsSource(cfg);
  const r = runSource(src);
  cleanup.push(() => r.stop());
  return { r, src };
}

describe('kubernetes_logs API enrichment', () => {
  it('lists then watches this node\'s pods: labels, annotations, owner, node; exclusion by annotation', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'tok-123\n');
    const cid = 'c'.repeat(64);
    const api = new FakeApi([
      pod('web', 'uid-web', { labels: { app: 'web' }, annotations: { team: 'a' }, rv: '10', containerId: cid }),
      pod('quiet', 'uid-quiet', { annotations: { 'flowlog.io/exclude': 'true' }, rv: '11' }),
    ]);
    const url = await api.listen();
    cleanup.push(() => api.close());
    const { r, src } = start(dir, url, tokenFile);
    await until(() => (src.watcher?.lists ?? 0) >= 1 && api.watchers.length === 1, 30_000, 'list and watch');
    expect(r.metrics.valueOf('flowlog_kubernetes_pods_cached', { component: 'src' })).toBe(2);
    const web = podDir(dir, 'shop', 'web', 'uid-web', 'app');
    const quiet = podDir(dir, 'shop', 'quiet', 'uid-quiet', 'app');
    appendFileSync(join(quiet, '0.log'), cri(0, 5));
    appendFileSync(join(web, '0.log'), cri(10, 12));
    dockerFile(dir, cid, [{ log: 'docker line\n' }]);
    await until(() => r.events.length >= 3);
    const e = r.events.find((x) => x.body === 'seq=10 message')!;
    expect(e.attributes).toMatchObject({
      'k8s.pod.name': 'web',
      'k8s.pod.label.app': 'web',
      'k8s.pod.annotation.team': 'a',
      'k8s.replicaset.name': 'web-rs',
      'k8s.node.name': 'node-a',
    });
    // the Docker file is tied to its pod through status.containerStatuses[].containerID
    const d = r.events.find((x) => x.body === 'docker line')!;
    expect(d.attributes).toMatchObject({ 'k8s.pod.name': 'web', 'k8s.container.name': 'app', 'k8s.container.restart_count': 2, 'k8s.pod.label.app': 'web' });
    await until(() => (r.metrics.valueOf('flowlog_source_excluded_events_total', { component: 'src' }) ?? 0) === 5, 10_000, 'excluded counted');
    expect(r.events.some((x) => x.attributes['k8s.pod.name'] === 'quiet')).toBe(false);
    // a watch event changes what later lines carry
    api.send('MODIFIED', pod('web', 'uid-web', { labels: { app: 'web', version: 'v2' }, rv: '12', containerId: cid }));
    await until(() => (src.watcher?.events ?? 0) >= 1, 10_000, 'watch event applied');
    appendFileSync(join(web, '0.log'), cri(12, 13));
    await until(() => r.events.some((x) => x.body === 'seq=12 message'));
    expect(r.events.find((x) => x.body === 'seq=12 message')!.attributes['k8s.pod.label.version']).toBe('v2');
    // the requests are the documented ones
    const list = api.requests.filter((q) => q.url.searchParams.get('watch') !== 'true');
    expect(list.length).toBe(2); // two pages
    expect(list[1]!.url.searchParams.get('continue')).toBe('1');
    for (const q of api.requests) {
      expect(q.auth).toBe('Bearer tok-123');
      expect(q.url.searchParams.get('fieldSelector')).toBe('spec.nodeName=node-a');
    }
    const watch = api.requests.find((q) => q.url.searchParams.get('watch') === 'true')!;
    expect(watch.url.searchParams.get('resourceVersion')).toBe('1000');
  });

  it('an API server that never answers does not delay ingestion; events carry path metadata', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const sockets: Socket[] = [];
    const hang = createServer(() => {}); // accepts requests, never responds
    hang.on('connection', (s) => sockets.push(s));
    await new Promise<void>((res) => hang.listen(0, '127.0.0.1', res));
    cleanup.push(() => new Promise((res) => (sockets.forEach((s) => s.destroy()), hang.close(res))));
    const d = podDir(dir, 'shop', 'web', 'uid-web', 'app');
    appendFileSync(join(d, '0.log'), cri(0, 100));
    const { r } = start(dir, `http://127.0.0.1:${(hang.address() as AddressInfo).port}`, join(dir, 'missing-token'));
    await until(() => r.events.length === 100, 30_000, 'events while the API hangs');
    expect(r.events[0]!.attributes['k8s.pod.name']).toBe('web');
    expect(r.events[0]!.attributes['k8s.pod.label.app']).toBeUndefined();
    expect(sockets.length).toBeGreaterThan(0); // the source did try the API
    await r.stop(); // and stopping does not wait for the hung request
  });

  it('a watch ERROR (410 Gone: resourceVersion too old) makes the client list again and pick up changes', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'tok');
    const items = [pod('web', 'uid-web', { labels: { app: 'web' }, rv: '10' })];
    const api = new FakeApi(items);
    const url = await api.listen();
    cleanup.push(() => api.close());
    const { r, src } = start(dir, url, tokenFile);
    await until(() => (src.watcher?.lists ?? 0) === 1 && api.watchers.length === 1, 30_000, 'first list and watch');
    items[0] = pod('web', 'uid-web', { labels: { app: 'web', relisted: 'yes' }, rv: '20' });
    api.send('ERROR', { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version: 10 (15)', reason: 'Expired', code: 410 });
    await until(() => (src.watcher?.lists ?? 0) >= 2, 30_000, 'relist');
    expect(r.metrics.valueOf('flowlog_kubernetes_api_errors_total', { component: 'src' })).toBe(1);
    const d = podDir(dir, 'shop', 'web', 'uid-web', 'app');
    appendFileSync(join(d, '0.log'), cri(0, 1));
    await until(() => r.events.length === 1);
    expect(r.events[0]!.attributes['k8s.pod.label.relisted']).toBe('yes');
  });
});
