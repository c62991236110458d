// The `kubernetes_logs` source: container logs of this node (CRI files under /var/log/pods and
// Docker json-file logs), tailed by the file source's engine through the KubernetesProvider, decoded
// per line by ContainerLogDecoder, optionally enriched from the API server (metadata.ts).
import type { Source, SourceContext } from '../../../core/component.js';
import { TailEngine } from '../file/engine.js';
import type { KubernetesConfig } from './config.js';
import { ContainerLogDecoder } from './cri.js';
import { PodWatcher } from './metadata.js';
import { KubernetesProvider } from './paths.js';

export class KubernetesLogsSource implements Source {
  /** The API watcher of the last run (tests). */
  watcher: PodWatcher | null = null;

  constructor(private readonly cfg: KubernetesConfig) {}

  async run(ctx: SourceContext): Promise<void> {
    const cfg = this.cfg;
    let background: Promise<void> | undefined;
    const stopApi = new AbortController();
    if (cfg.api.enabled) {
      const node = cfg.api.node_name ?? process.env.NODE_NAME;
      if (!node) {
        ctx.log.error('kubernetes_logs: api.enabled needs api.node_name or the NODE_NAME environment variable (downward API); running without enrichment');
      } else {
        const errors = ctx.metrics.counter('flowlog_kubernetes_api_errors_total', 'Failed list/watch calls to the Kubernetes API (retried with backoff)', { component: ctx.name });
        const watcher = (this.watcher = new PodWatcher(cfg.api, node, ctx.log.child({ component: ctx.name }), errors));
        ctx.metrics.gauge('flowlog_kubernetes_pods_cached', 'Pods in the metadata cache', { component: ctx.name });
        ctx.metrics.onCollect('flowlog_kubernetes_pods_cached', () =>
          ctx.metrics.gauge('flowlog_kubernetes_pods_cached', 'Pods in the metadata cache', { component: ctx.name }).set(watcher.cache.size),
        );
        background = this.watcher.run(stopApi.signal);
      }
    }
    const decoder = () => new ContainerLogDecoder(cfg.max_merged_line_bytes);
    const provider = new KubernetesProvider(cfg.pods_root, cfg.docker_root, cfg.include_namespaces, cfg.exclude_namespaces, decoder, this.watcher?.cache ?? null);
    const engine = new TailEngine(provider, {
      ...cfg,
      held_timeout_ms: cfg.partial_timeout_ms,
      recoverTarget: (path, oldPath) => provider.target(path, oldPath),
    });
    try {
      await engine.run(ctx);
    } finally {
      stopApi.abort();
      await background;
    }
  }
}
