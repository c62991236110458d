import { z } from 'zod';

export const multilineConfig = z.strictObject({
  /** A line matching this regex starts a new event; other lines continue the current one. */
  start_pattern: z.string().refine(isRegex, 'start_pattern is not a valid regular expression'),
  /** A held event is emitted after this long without a continuation line. */
  timeout_ms: z.number().int().min(1).default(1000),
  /** An event is emitted once it has this many lines. */
  max_lines: z.number().int().min(1).default(500),
});
export type MultilineConfig = z.infer<typeof multilineConfig>;

function isRegex(s: string): boolean {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}

/** Options shared by every source built on the tailer (file, kubernetes_logs). */
export const tailFields = {
  /** Where a file seen for the first time at the first start (no checkpoints yet) begins. */
  read_from: z.enum(['beginning', 'end']).default('beginning'),
  /** Lines longer than this are split and flagged log.truncated. */
  max_line_bytes: z.number().int().min(64).default(1024 * 1024),
  /** A file that was renamed or deleted is kept open this long after its last growth, then closed. */
  rotate_wait_ms: z.number().int().min(0).default(5000),
  /** File identity: dev+inode plus a hash of the first N bytes (inode reuse is caught). */
  fingerprint_bytes: z.number().int().min(16).max(65536).default(1024),
  /** Periodic rescan of the paths (fs.watch triggers rescans in between). */
  glob_interval_ms: z.number().int().min(10).default(1000),
  /** Bytes read from a file per read call. */
  read_chunk_bytes: z.number().int().min(4096).max(16 * 1024 * 1024).default(1024 * 1024),
  /** Events per batch handed downstream. */
  batch_size: z.number().int().min(1).max(65536).default(2048),
};

export const fileConfig = z.strictObject({
  /** Absolute glob patterns (`*`, `?`, `**`, `[abc]`, `{a,b}`). */
  include: z.array(z.string().refine((p) => p.startsWith('/'), 'include patterns must be absolute paths')).min(1),
  exclude: z.array(z.string()).default([]),
  ...tailFields,
  multiline: multilineConfig.optional(),
});
export type FileConfig = z.infer<typeof fileConfig>;

/** The tailer's options (file and kubernetes_logs configs both satisfy it). */
export type TailOptions = Pick<
  FileConfig,
  'read_from' | 'max_line_bytes' | 'rotate_wait_ms' | 'fingerprint_bytes' | 'glob_interval_ms' | 'read_chunk_bytes' | 'batch_size'
>;
