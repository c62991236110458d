import type { ComponentDef } from '../../../core/component.js';
import { stdinConfig, type StdinConfig } from './config.js';
import { StdinSource } from './source.js';

export const stdinSource: ComponentDef<'source', StdinConfig> = {
  kind: 'source',
  type: 'stdin',
  roles: ['agent'],
  description: 'newline-delimited text from standard input',
  schema: stdinConfig,
  build: (cfg) => new StdinSource(cfg),
};
