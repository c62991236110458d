import type { ComponentDef } from '../../../core/component.js';
import { archiveConfig, type ArchiveConfig } from './config.js';
import { ArchiveSink, archivePaths } from './sink.js';

export const archiveSink: ComponentDef<'sink', ArchiveConfig> = {
  kind: 'sink',
  type: 'archive',
  roles: ['aggregator'],
  description: 'Hive-partitioned Parquet files (zstd) on a local directory or S3, catalogued in SQLite, exactly once',
  schema: archiveConfig,
  build: (cfg, env) => new ArchiveSink(cfg, archivePaths(cfg, env)),
};
