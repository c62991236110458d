// Default spool settings, in a module of their own so the spool itself does not load zod.
import type { SpoolOptions } from './types.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

export const SPOOL_DEFAULTS = {
  name: 'spool',
  sync: 'full',
  compression: 'lz4',
  maxBytes: 1 * GiB,
  whenFull: 'block',
  minFreeBytes: 256 * MiB,
  batchMaxRecords: 8192,
  batchMaxBytes: 4 * MiB,
  batchMaxMs: 200,
  commitWhenIdle: true,
  maxEntryBytes: 8 * MiB,
  maintenanceIntervalMs: 1000,
  reserveBytes: 8 * MiB,
  consumers: ['default'],
} as const satisfies Required<Omit<SpoolOptions, 'dir' | 'consumers'>> & { consumers: readonly string[] };
