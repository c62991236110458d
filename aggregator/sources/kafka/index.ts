import type { ComponentDef } from '../../../core/component.js';
import { kafkaSourceConfig, type KafkaSourceConfig } from './config.js';
import { KafkaSource } from './consumer.js';

export const kafkaSource: ComponentDef<'source', KafkaSourceConfig> = {
  kind: 'source',
  type: 'kafka',
  roles: ['aggregator'],
  description: 'a Kafka consumer group over topics or /regex/ patterns; both framings; offsets committed after every sink acknowledged',
  schema: kafkaSourceConfig,
  build: (cfg) => new KafkaSource(cfg),
};
