import type { ComponentDef } from '../../../core/component.js';
import { kafkaSinkConfig, type KafkaSinkConfig } from './config.js';
import { KafkaSink } from './sink.js';

export const kafkaSink: ComponentDef<'sink', KafkaSinkConfig> = {
  kind: 'sink',
  type: 'kafka',
  roles: ['agent', 'aggregator'],
  description: 'events to Apache Kafka (idempotent, acks=all, templated topics, NDJSON framing)',
  schema: kafkaSinkConfig,
  build: (cfg, env) => new KafkaSink(cfg, env),
};
