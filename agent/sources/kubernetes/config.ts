import { z } from 'zod';
import { tailFields } from '../file/config.js';

const SA = '/var/run/secrets/kubernetes.io/serviceaccount';

export const apiConfig = z.strictObject({
  /** Enrich events with pod labels, annotations, owner and node from the API server. */
  enabled: z.boolean().default(false),
  /** API server URL; default from KUBERNETES_SERVICE_HOST/PORT (in-cluster), else https://kubernetes.default.svc. */
  url: z.string().url().optional(),
  /** Service-account token (re-read on every request: bound tokens rotate). */
  token_file: z.string().default(`${SA}/token`),
  /** CA bundle that signs the API server's certificate. */
  ca_file: z.string().default(`${SA}/ca.crt`),
  /** This node's name (pods are listed with fieldSelector spec.nodeName=<node>); default env NODE_NAME. */
  node_name: z.string().min(1).optional(),
  /** Pods deleted from the API stay in the cache this long (their logs may still be read). */
  deleted_pod_ttl_ms: z.number().int().min(0).default(5 * 60_000),
});
export type ApiConfig = z.infer<typeof apiConfig>;

export const kubernetesConfig = z.strictObject({
  pods_root: z.string().default('/var/log/pods'),
  /** Docker json-file logs (set to '' to skip). */
  docker_root: z.string().default('/var/lib/docker/containers'),
  /** Only these namespaces (empty: all). */
  include_namespaces: z.array(z.string()).default([]),
  exclude_namespaces: z.array(z.string()).default([]),
  ...tailFields,
  /** CRI partial (P) lines and Docker partial entries are merged up to this size; beyond, the event is flagged log.truncated. */
  max_merged_line_bytes: z.number().int().min(1024).default(1024 * 1024),
  /** A partial line still unfinished after this long is emitted as it is. */
  partial_timeout_ms: z.number().int().min(1).default(5000),
  api: apiConfig.prefault({}),
});
export type KubernetesConfig = z.infer<typeof kubernetesConfig>;
