import type { ComponentDef } from '../../../core/component.js';
import { fileConfig, type FileConfig } from './config.js';
import { FileSource } from './source.js';

export const fileSource: ComponentDef<'source', FileConfig> = {
  kind: 'source',
  type: 'file',
  roles: ['agent'],
  description: 'tails files matching globs, rotation-safe, with checkpoints committed with the events',
  schema: fileConfig,
  build: (cfg) => new FileSource(cfg),
};
