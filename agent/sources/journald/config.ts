import { z } from 'zod';

/** A journal field name as journald accepts it: uppercase letters, digits, underscores. */
const fieldName = z.string().regex(/^[A-Z0-9_]{1,64}$/, 'journal field names are uppercase letters, digits and _ (e.g. _SYSTEMD_UNIT)');

export const journaldConfig = z.strictObject({
  /** The journalctl binary (a path, or a name looked up on PATH). */
  journalctl_path: z.string().min(1).default('journalctl'),
  /** Read the journal files of this directory (`journalctl --directory`), e.g. a host journal mounted into a pod. */
  journal_directory: z.string().min(1).optional(),
  /** Interleave the journals of all machines found (`journalctl --merge`). */
  merge: z.boolean().default(false),
  /** Only these units (`_SYSTEMD_UNIT=` matches); a name without a dot gets `.service` appended. */
  include_units: z.array(z.string().min(1)).default([]),
  /** Drop entries of these units (checked in flowlog; their cursor still advances). */
  exclude_units: z.array(z.string().min(1)).default([]),
  /** journalctl matches: FIELD → accepted values (values of one field are ORed, fields are ANDed). */
  include_matches: z.record(fieldName, z.array(z.string()).min(1)).default({}),
  /** Without a checkpoint, start at the end of the journal instead of its beginning. */
  since_now: z.boolean().default(false),
  /** Keep kernel messages (`_TRANSPORT=kernel`). */
  include_kernel: z.boolean().default(true),
  /** Entries per batch handed downstream (a partial batch is handed over when journalctl goes quiet). */
  batch_size: z.number().int().min(1).max(65536).default(1024),
  /** Lowercase the names of the fields kept under `journald.*`. */
  lowercase_fields: z.boolean().default(true),
  /** Strip leading underscores from the names of the fields kept under `journald.*`. */
  strip_underscores: z.boolean().default(true),
});
export type JournaldConfig = z.infer<typeof journaldConfig>;
