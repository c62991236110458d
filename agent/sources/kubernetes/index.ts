import type { ComponentDef } from '../../../core/component.js';
import { kubernetesConfig, type KubernetesConfig } from './config.js';
import { KubernetesLogsSource } from './source.js';

export const kubernetesLogsSource: ComponentDef<'source', KubernetesConfig> = {
  kind: 'source',
  type: 'kubernetes_logs',
  roles: ['agent'],
  description: 'container logs of this node (CRI and Docker json-file) with pod metadata, rotation-safe',
  schema: kubernetesConfig,
  build: (cfg) => new KubernetesLogsSource(cfg),
};
