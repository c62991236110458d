// The top-level `spool:` config section (Vector-shaped names) and its defaults, registered with the
// config loader. `spoolOptions()` turns a validated section into SpoolOptions.
import { z } from 'zod';
import { registerSection } from '../core/config/schema.js';
import { SPOOL_DEFAULTS } from './defaults.js';
import type { SpoolOptions } from './types.js';

export { SPOOL_DEFAULTS };

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: KiB, mib: MiB, gib: GiB, tib: 1024 * GiB };

/** Parses `1073741824`, `"512MiB"`, `"2 GB"`. */
export function parseBytes(v: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
  if (!m) return undefined;
  const unit = UNITS[m[2]!.toLowerCase()];
  return unit === undefined ? undefined : Math.floor(Number(m[1]) * unit);
}

const bytes = z.union([
  z.number().int().nonnegative(),
  z.string().transform((s, ctx) => {
    const n = parseBytes(s);
    if (n === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected a byte size like 1073741824, "512MiB" or "2GB"' });
      return z.NEVER;
    }
    return n;
  }),
], { error: 'expected a byte size like 1073741824, "512MiB" or "2GB"' });

export const spoolSchema = z.strictObject({
  /** full: fsync every commit (default); normal: survives a process crash, not a power loss. */
  sync: z.enum(['full', 'normal']).default(SPOOL_DEFAULTS.sync),
  /** Codec of new batch blobs: lz4 (default, fast), brotli (smaller, slower), none. Old batches keep theirs. */
  compression: z.enum(['lz4', 'brotli', 'none']).default(SPOOL_DEFAULTS.compression),
  /** Cap on the compressed batches stored. */
  max_bytes: bytes.default(SPOOL_DEFAULTS.maxBytes).refine((n) => n >= MiB, 'max_bytes must be at least 1MiB'),
  /** block: sources wait until sinks free space; drop_oldest: the oldest unsent batches are deleted (counted). */
  when_full: z.enum(['block', 'drop_oldest']).default(SPOOL_DEFAULTS.whenFull),
  /** The spool is treated as full when the filesystem has less free space than this. */
  min_free_bytes: bytes.default(SPOOL_DEFAULTS.minFreeBytes),
  batch_max_records: z.number().int().min(1).max(1_000_000).default(SPOOL_DEFAULTS.batchMaxRecords),
  batch_max_bytes: bytes.default(SPOOL_DEFAULTS.batchMaxBytes).refine((n) => n >= 1 && n <= 256 * MiB, 'batch_max_bytes must be between 1 and 256MiB'),
  batch_max_ms: z.number().int().min(0).max(60_000).default(SPOOL_DEFAULTS.batchMaxMs),
});

export type SpoolConfig = z.output<typeof spoolSchema>;

registerSection('spool', spoolSchema);

/** SpoolOptions from the validated `spool:` section (or defaults when the section is absent). */
export function spoolOptions(section: unknown, dir: string, consumers?: string[]): SpoolOptions {
  const c = spoolSchema.parse(section ?? {});
  return {
    dir,
    sync: c.sync,
    compression: c.compression,
    maxBytes: c.max_bytes,
    whenFull: c.when_full,
    minFreeBytes: c.min_free_bytes,
    batchMaxRecords: c.batch_max_records,
    batchMaxBytes: c.batch_max_bytes,
    batchMaxMs: c.batch_max_ms,
    ...(consumers ? { consumers } : {}),
  };
}
