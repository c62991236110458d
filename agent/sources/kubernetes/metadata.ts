// Optional pod metadata from the Kubernetes API server (undici): list the pods of this node
// (fieldSelector spec.nodeName=<node>), then watch from the list's resourceVersion; relist on
// 410 Gone or on errors with backoff. Everything runs in the background: lookups only read the
// cache, so a slow or unreachable API server never delays ingestion (events go out with path
// metadata only until the cache knows the pod).
import { readFile } from 'node:fs/promises';
import { Agent, request, type Dispatcher } from 'undici';
import type { Attributes } from '../../../core/event.js';
import { Attr } from '../../../core/event.js';
import { describeError } from '../../../core/errors.js';
import type { Logger } from '../../../core/telemetry/logger.js';
import type { Counter } from '../../../core/telemetry/metrics.js';
import { LineSplitter } from '../../../core/lines.js';
import type { ApiConfig } from './config.js';

export const EXCLUDE_ANNOTATION = 'flowlog.io/exclude';

export interface PodInfo {
  uid: string;
  namespace: string;
  name: string;
  excluded: boolean;
  /** Enrichment attributes: labels, annotations, owner, node. */
  attrs: Attributes;
  /** container id (without the runtime:// prefix) → [container name, restart count] */
  containers: Map<string, [string, number]>;
  deletedAt: number;
}

interface ContainerStatus {
  name?: string;
  containerID?: string;
  restartCount?: number;
}

interface K8sPod {
  metadata?: {
    uid?: string;
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind?: string; name?: string; controller?: boolean }[];
  };
  spec?: { nodeName?: string };
  status?: { containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] };
}

export function podInfo(p: K8sPod): PodInfo | null {
  const md = p.metadata;
  if (!md?.uid || !md.name || !md.namespace) return null;
  const attrs: Attributes = {};
  for (const [k, v] of Object.entries(md.labels ?? {})) attrs[`k8s.pod.label.${k}`] = v;
  for (const [k, v] of Object.entries(md.annotations ?? {})) attrs[`k8s.pod.annotation.${k}`] = v;
  const owner = (md.ownerReferences ?? []).find((o) => o.controller) ?? md.ownerReferences?.[0];
  if (owner?.kind && owner.name) attrs[`k8s.${owner.kind.toLowerCase()}.name`] = owner.name;
  if (p.spec?.nodeName) attrs[Attr.k8sNode] = p.spec.nodeName;
  const containers = new Map<string, [string, number]>();
  for (const c of [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])]) {
    if (c.containerID && c.name) containers.set(c.containerID.replace(/^[a-z0-9-]+:\/\//, ''), [c.name, c.restartCount ?? 0]);
  }
  return { uid: md.uid, namespace: md.namespace, name: md.name, excluded: md.annotations?.[EXCLUDE_ANNOTATION] === 'true', attrs, containers, deletedAt: 0 };
}

export class PodCache {
  private readonly pods = new Map<string, PodInfo>();
  private readonly byContainer = new Map<string, string>();
  /** Bumped on every change, so per-file attribute objects are rebuilt only when needed. */
  version = 0;

  constructor(private readonly deletedTtlMs: number) {}

  get(uid: string): PodInfo | undefined {
    return this.pods.get(uid);
  }

  byContainerId(id: string): PodInfo | undefined {
    const uid = this.byContainer.get(id);
    return uid === undefined ? undefined : this.pods.get(uid);
  }

  get size(): number {
    return this.pods.size;
  }

  upsert(p: PodInfo): void {
    this.pods.set(p.uid, p);
    for (const id of p.containers.keys()) this.byContainer.set(id, p.uid);
    this.version++;
  }

  delete(uid: string, now = Date.now()): void {
    const p = this.pods.get(uid);
    if (p && p.deletedAt === 0) {
      p.deletedAt = now;
      this.version++;
    }
  }

  /** After a relist: pods not in it are marked deleted; long-deleted pods are dropped. */
  replaceAll(list: PodInfo[], now = Date.now()): void {
    const seen = new Set(list.map((p) => p.uid));
    for (const p of list) this.upsert(p);
    for (const uid of this.pods.keys()) if (!seen.has(uid)) this.delete(uid, now);
    this.expire(now);
  }

  expire(now = Date.now()): void {
    for (const [uid, p] of this.pods) {
      if (p.deletedAt > 0 && now - p.deletedAt > this.deletedTtlMs) {
        this.pods.delete(uid);
        for (const id of p.containers.keys()) if (this.byContainer.get(id) === uid) this.byContainer.delete(id);
        this.version++;
      }
    }
  }
}

export function defaultApiUrl(): string {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  if (host) return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return 'https://kubernetes.default.svc';
}

/** Lists then watches the pods of one node into a PodCache until the signal aborts. */
export class PodWatcher {
  readonly cache: PodCache;
  private dispatcher: Dispatcher | undefined;
  private readonly url: string;
  /** Successful lists and watch events applied (tests, metrics). */
  lists = 0;
  events = 0;

  constructor(
    private readonly cfg: ApiConfig,
    private readonly nodeName: string,
    private readonly log: Logger,
    private readonly errors?: Counter,
  ) {
    this.cache = new PodCache(cfg.deleted_pod_ttl_ms);
    this.url = (cfg.url ?? defaultApiUrl()).replace(/\/+$/, '');
  }

  /** Runs in the background; never throws. */
  async run(signal: AbortSignal): Promise<void> {
    let backoff = 500;
    try {
      this.dispatcher = await this.makeDispatcher();
    } catch (e) {
      this.log.error('kubernetes API enrichment disabled: cannot read the CA file', { ca_file: this.cfg.ca_file, error: describeError(e) });
      return;
    }
    while (!signal.aborted) {
      try {
        const rv = await this.list(signal);
        backoff = 500;
        await this.watch(rv, signal);
      } catch (e) {
        if (signal.aborted) break;
        this.errors?.inc();
        this.log.once(`api:${describeError(e)}`, 'warn', 'kubernetes API unavailable; events carry path metadata only until it answers', { url: this.url, error: describeError(e) });
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
    await this.dispatcher?.close().catch(() => {});
  }

  private async makeDispatcher(): Promise<Dispatcher> {
    if (!this.url.startsWith('https:')) return new Agent({ keepAliveTimeout: 10_000 });
    let ca: string | undefined;
    try {
      ca = await readFile(this.cfg.ca_file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return new Agent({ connect: ca ? { ca } : {}, keepAliveTimeout: 10_000 });
  }

  private async headers(): Promise<Record<string, string>> {
    const h: Record<string, string> = { accept: 'application/json' };
    try {
      const token = (await readFile(this.cfg.token_file, 'utf8')).trim();
      if (token) h.authorization = `Bearer ${token}`;
    } catch {
      // no token file: anonymous (e.g. a local proxy)
    }
    return h;
  }

  private podsUrl(params: Record<string, string>): string {
    const q = new URLSearchParams({ fieldSelector: `spec.nodeName=${this.nodeName}`, ...params });
    return `${this.url}/api/v1/pods?${q}`;
  }

  /** GET /api/v1/pods (paginated with limit/continue); returns the list's resourceVersion. */
  private async list(signal: AbortSignal): Promise<string> {
    const all: PodInfo[] = [];
    let cont = '';
    let rv = '';
    do {
      const res = await request(this.podsUrl(cont ? { limit: '500', continue: cont } : { limit: '500' }), {
        dispatcher: this.dispatcher,
        headers: await this.headers(),
        signal,
        headersTimeout: 10_000,
        bodyTimeout: 30_000,
      });
      if (res.statusCode !== 200) {
        const text = (await res.body.text()).slice(0, 200);
        throw new Error(`list pods: HTTP ${res.statusCode}: ${text}`);
      }
      const body = (await res.body.json()) as { metadata?: { resourceVersion?: string; continue?: string }; items?: K8sPod[] };
      for (const item of body.items ?? []) {
        const p = podInfo(item);
        if (p) all.push(p);
      }
      rv = body.metadata?.resourceVersion ?? '';
      cont = body.metadata?.continue ?? '';
    } while (cont);
    this.cache.replaceAll(all);
    this.lists++;
    return rv;
  }

  /** GET /api/v1/pods?watch=true from `rv`: newline-delimited {"type","object"} events. */
  private async watch(rv: string, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const res = await request(this.podsUrl({ watch: 'true', resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: '300' }), {
        dispatcher: this.dispatcher,
        headers: await this.headers(),
        signal,
        headersTimeout: 10_000,
        bodyTimeout: 330_000,
      });
      if (res.statusCode !== 200) {
        await res.body.text().catch(() => '');
        throw new Error(`watch pods: HTTP ${res.statusCode}`);
      }
      const split = new LineSplitter(16 * 1024 * 1024);
      for await (const chunk of res.body) {
        for (const line of split.push(chunk as Buffer)) {
          if (line.bytes.length === 0) continue;
          const ev = JSON.parse(line.bytes.toString('utf8')) as { type?: string; object?: K8sPod & { code?: number; metadata?: { resourceVersion?: string } } };
          const obj = ev.object;
          if (ev.type === 'ERROR') {
            // 410 Gone: our resourceVersion is too old; relist
            throw new Error(`watch pods: ERROR event (code ${obj?.code ?? '?'})`);
          }
          if (obj?.metadata?.resourceVersion) rv = obj.metadata.resourceVersion;
          if (ev.type === 'BOOKMARK') continue;
          const p = obj ? podInfo(obj) : null;
          if (!p) continue;
          this.events++;
          if (ev.type === 'DELETED') this.cache.delete(p.uid);
          else this.cache.upsert(p);
        }
      }
      this.cache.expire();
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
