// The spool's public surface: the durable batch queue, its config section, and the CLI helpers.
export { Spool, type SpoolDeps } from './spool.js';
export { spoolSchema, spoolOptions, SPOOL_DEFAULTS, type SpoolConfig } from './config.js';
export type { SpoolBatch, SpoolEntry, SpoolOptions, SpoolStats, SpoolSync, SpoolWhenFull } from './types.js';
