// The kubernetes_logs paths provider: container log files under
//   <pods_root>/<namespace>_<pod>_<uid>/<container>/<restart>.log   (CRI; kubelet layout)
//   <docker_root>/<id>/<id>-json.log                                (Docker json-file)
// with metadata from the path, plus pod metadata from the API cache when it has the pod.
// Namespace lists filter at discovery; the exclude annotation is applied per batch (the API may
// learn about a pod after its file was found), dropping and counting the events.
import { basename, dirname, join } from 'node:path';
import type { Attributes } from '../../../core/event.js';
import { Attr } from '../../../core/event.js';
import { HOST_NAME, listDir, type PathProvider } from '../file/discovery.js';
import type { LineDecoder } from '../file/decoder.js';
import type { TailTarget } from '../file/tailer.js';
import type { PodCache, PodInfo } from './metadata.js';

export interface PodPath {
  namespace: string;
  pod: string;
  uid: string;
  container: string;
  restart: number;
}

const RESTART_FILE = /^(\d+)\.log$/;
/** Rotated files kubelet keeps next to the live one: "0.log.20260102-030405" (not .gz). */
const ROTATED_FILE = /^(\d+)\.log\.\d{8}-\d{6}$/;

/** Parses "<namespace>_<pod>_<uid>" (namespaces and pod names cannot contain '_'). */
export function parsePodDir(name: string): { namespace: string; pod: string; uid: string } | null {
  const a = name.indexOf('_');
  const b = name.lastIndexOf('_');
  if (a <= 0 || b <= a + 1 || b === name.length - 1) return null;
  return { namespace: name.slice(0, a), pod: name.slice(a + 1, b), uid: name.slice(b + 1) };
}

/** Metadata of a CRI log path (live or rotated file); null when the path is not in the kubelet layout. */
export function parsePodLogPath(path: string): PodPath | null {
  const m = RESTART_FILE.exec(basename(path)) ?? ROTATED_FILE.exec(basename(path));
  const pod = parsePodDir(basename(dirname(dirname(path))));
  if (!m || !pod) return null;
  return { ...pod, container: basename(dirname(path)), restart: Number(m[1]) };
}

export class KubernetesProvider implements PathProvider {
  private dirs: string[] = [];
  private readonly targets = new Map<string, TailTarget>();

  constructor(
    private readonly podsRoot: string,
    private readonly dockerRoot: string,
    private readonly includeNs: readonly string[],
    private readonly excludeNs: readonly string[],
    private readonly decoder: () => LineDecoder,
    private readonly cache: PodCache | null,
  ) {}

  private nsWanted(ns: string): boolean {
    if (this.includeNs.length > 0 && !this.includeNs.includes(ns)) return false;
    return !this.excludeNs.includes(ns);
  }

  async scan(onError: (path: string, err: NodeJS.ErrnoException) => void): Promise<TailTarget[]> {
    const dirs: string[] = [];
    const paths: string[] = [];
    if (this.podsRoot) {
      dirs.push(this.podsRoot);
      for (const podEnt of await listDir(this.podsRoot, onError)) {
        const pod = parsePodDir(podEnt.name);
        if (!pod || !podEnt.isDirectory() || !this.nsWanted(pod.namespace)) continue;
        const podDir = join(this.podsRoot, podEnt.name);
        dirs.push(podDir);
        for (const cEnt of await listDir(podDir, onError)) {
          if (!cEnt.isDirectory()) continue;
          const cDir = join(podDir, cEnt.name);
          dirs.push(cDir);
          for (const f of await listDir(cDir, onError)) if (RESTART_FILE.test(f.name)) paths.push(join(cDir, f.name));
        }
      }
    }
    if (this.dockerRoot) {
      dirs.push(this.dockerRoot);
      for (const ent of await listDir(this.dockerRoot, onError)) {
        if (!ent.isDirectory() || !/^[0-9a-f]{12,64}$/.test(ent.name)) continue;
        const cDir = join(this.dockerRoot, ent.name);
        dirs.push(cDir);
        const f = join(cDir, `${ent.name}-json.log`);
        if ((await listDir(cDir, onError)).some((e) => e.name === `${ent.name}-json.log`)) paths.push(f);
      }
    }
    this.dirs = dirs;
    const live = new Set(paths);
    const out: TailTarget[] = [];
    for (const p of paths) {
      let t = this.targets.get(p);
      if (!t) {
        const made = this.target(p, p);
        if (!made) continue;
        this.targets.set(p, (t = made));
      }
      out.push(t);
    }
    for (const p of this.targets.keys()) if (!live.has(p)) this.targets.delete(p);
    return out;
  }

  watchDirs(): string[] {
    return this.dirs;
  }

  /** A target for `path`, with metadata from `metaPath` (the same file's path before a rotation). */
  target(path: string, metaPath: string): TailTarget | null {
    const pp = parsePodLogPath(metaPath);
    const dockerId = pp ? '' : /^([0-9a-f]{12,64})-json\.log$/.exec(basename(metaPath))?.[1] ?? '';
    if (!pp && !dockerId) return null;
    const base: Attributes = { [Attr.filePath]: path, [Attr.fileName]: basename(path), [Attr.hostName]: HOST_NAME };
    if (pp) {
      base[Attr.k8sNamespace] = pp.namespace;
      base[Attr.k8sPod] = pp.pod;
      base[Attr.k8sPodUid] = pp.uid;
      base[Attr.k8sContainer] = pp.container;
      base[Attr.k8sRestart] = pp.restart;
    } else base[Attr.containerId] = dockerId;
    const cache = this.cache;
    let version = -1;
    let attrs: Attributes | null = base;
    let lastPod: PodInfo | undefined;
    const lookup = (): PodInfo | undefined => (pp ? cache?.get(pp.uid) : cache?.byContainerId(dockerId));
    return {
      path,
      decoder: this.decoder,
      attributes: () => {
        if (!cache || cache.version === version) return attrs;
        version = cache.version;
        const pod = lookup();
        // the cache version moves on any pod's change; rebuild only when this file's pod changed
        if (pod === lastPod) return attrs;
        lastPod = pod;
        if (!pod) return (attrs = base);
        if (pod.excluded || !this.nsWanted(pod.namespace)) return (attrs = null);
        const a: Attributes = { ...base, ...pod.attrs };
        if (!pp) {
          a[Attr.k8sNamespace] = pod.namespace;
          a[Attr.k8sPod] = pod.name;
          a[Attr.k8sPodUid] = pod.uid;
          const c = pod.containers.get(dockerId);
          if (c) {
            a[Attr.k8sContainer] = c[0];
            a[Attr.k8sRestart] = c[1];
          }
        }
        return (attrs = a);
      },
    };
  }
}
