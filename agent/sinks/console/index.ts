import type { ComponentDef } from '../../../core/component.js';
import { consoleConfig, type ConsoleConfig } from './config.js';
import { ConsoleSink } from './sink.js';

export const consoleSink: ComponentDef<'sink', ConsoleConfig> = {
  kind: 'sink',
  type: 'console',
  roles: ['agent', 'aggregator'],
  description: 'events to stdout or stderr as NDJSON or text',
  schema: consoleConfig,
  build: (cfg) => new ConsoleSink(cfg),
};
