import type { ComponentDef } from '../../../core/component.js';
import { journaldConfig, type JournaldConfig } from './config.js';
import { JournaldSource } from './source.js';

export const journaldSource: ComponentDef<'source', JournaldConfig> = {
  kind: 'source',
  type: 'journald',
  roles: ['agent'],
  description: 'systemd journal entries, read through a journalctl child process, resumed by cursor',
  schema: journaldConfig,
  build: (cfg) => new JournaldSource(cfg),
};
