import { z } from 'zod';

export const stdinConfig = z.strictObject({
  /** Lines longer than this are split and flagged log.truncated. */
  max_line_bytes: z.number().int().min(1024).default(1024 * 1024),
  /** Events per batch handed downstream. */
  batch_size: z.number().int().min(1).max(65536).default(1024),
});
export type StdinConfig = z.infer<typeof stdinConfig>;
