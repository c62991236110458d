import type { ComponentDef } from '../../../core/component.js';
import { httpServerConfig, type HttpServerConfig } from './config.js';
import { HttpServerSource } from './source.js';

export const httpServerSource: ComponentDef<'source', HttpServerConfig> = {
  kind: 'source',
  type: 'http_server',
  roles: ['agent'],
  description: 'records POSTed by Vector http sinks, Fluent Bit http outputs and others (NDJSON / JSON arrays, gzip); answered once durable',
  schema: httpServerConfig,
  build: (cfg, env) => new HttpServerSource(cfg, env),
};
