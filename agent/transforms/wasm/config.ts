// Config schemas of the WASM-backed transforms (zod strict: unknown keys are rejected), and their
// normalization into the JSON each module's flowlog_init reads.
import { z } from 'zod';
import { severityFromText } from '../../../core/event.js';

const severityName = z.enum(['trace', 'debug', 'info', 'notice', 'warn', 'warning', 'error', 'critical', 'fatal']);

export type Condition =
  | { severity_at_least: number | string }
  | { body_contains: string }
  | { attribute: string; equals?: string; prefix?: string; contains?: string }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ severity_at_least: z.union([severityName, z.number().int().min(0).max(24)]) }),
    z.strictObject({ body_contains: z.string().min(1) }),
    z
      .strictObject({ attribute: z.string().min(1), equals: z.string().optional(), prefix: z.string().optional(), contains: z.string().optional() })
      .refine((c) => [c.equals, c.prefix, c.contains].filter((v) => v !== undefined).length === 1, 'an attribute condition needs exactly one of equals, prefix, contains'),
    z.strictObject({ all: z.array(conditionSchema).min(1) }),
    z.strictObject({ any: z.array(conditionSchema).min(1) }),
    z.strictObject({ not: conditionSchema }),
  ]),
);

/** Severity names → numbers (the module compares numbers). */
export function normalizeCondition(c: Condition): Condition {
  if ('severity_at_least' in c) return { severity_at_least: typeof c.severity_at_least === 'number' ? c.severity_at_least : severityFromText(c.severity_at_least) };
  if ('all' in c) return { all: c.all.map(normalizeCondition) };
  if ('any' in c) return { any: c.any.map(normalizeCondition) };
  if ('not' in c) return { not: normalizeCondition(c.not) };
  return c;
}

/** Options every WASM-backed transform has. */
const runtimeFields = {
  /** What happens to a batch the module failed on (trap, time budget, ABI violation). */
  on_error: z.enum(['pass', 'drop', 'dead_letter']).default('pass'),
  /** Per-batch time budget (a runaway module is stopped and the batch handled by on_error); 0: none. */
  time_budget_ms: z.number().int().min(0).max(60_000).default(1000),
  /** Run the module in its own worker thread (frees the pipeline thread for heavy modules when cores are spare; costs a copy and a thread hop per batch). */
  worker_thread: z.boolean().default(false),
  /** Memory cap of the module, in 64 KiB pages (256 = 16 MiB). */
  max_memory_pages: z.number().int().min(1).max(65536).default(256),
  /** Records per module call. */
  max_batch: z.number().int().min(1).max(65536).default(4096),
  /** on_error: dead_letter writes the failed events here as NDJSON (default under data_dir). */
  dead_letter: z.strictObject({ path: z.string().min(1).optional() }).prefault({}),
};

export const filterConfig = z.strictObject({ condition: conditionSchema, ...runtimeFields });
export const sampleConfig = z.strictObject({
  /** Keep 1 in `rate`. */
  rate: z.number().int().min(1),
  /** Attribute whose value is hashed (records with the same value are kept or dropped together); the body when unset or absent. */
  key_field: z.string().min(1).optional(),
  ...runtimeFields,
});
export const redactPatterns = ['credit_card', 'email', 'bearer', 'aws_access_key'] as const;
export const redactConfig = z.strictObject({
  patterns: z.array(z.enum(redactPatterns)).min(1).default([...redactPatterns]),
  /** One ASCII character written over each masked byte. */
  mask: z.string().regex(/^[\x21-\x7e]$/, 'mask is one printable ASCII character').default('*'),
  ...runtimeFields,
});
const plainPrefix = z.string().regex(/^[^"\\]*$/, 'prefix cannot contain quotes or backslashes').default('');
export const parseJsonConfig = z.strictObject({ prefix: plainPrefix, drop_invalid: z.boolean().default(false), ...runtimeFields });
export const parseLogfmtConfig = z.strictObject({ prefix: plainPrefix, drop_invalid: z.boolean().default(false), ...runtimeFields });
export const setConfig = z.strictObject({
  fields: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()])),
  /** false: only set attributes that are absent. */
  overwrite: z.boolean().default(true),
  ...runtimeFields,
});
export const renameConfig = z.strictObject({ fields: z.record(z.string().min(1), z.string().min(1)), ...runtimeFields });
export const removeConfig = z.strictObject({ fields: z.array(z.string().min(1)).min(1), ...runtimeFields });
export const routeConfig = z.strictObject({
  /** Route name → condition; the first match (in order) sets `flowlog.route`. */
  route: z.record(z.string().min(1), conditionSchema),
  /** flowlog.route when no route matches (unset: left alone). */
  default_route: z.string().min(1).optional(),
  ...runtimeFields,
});
export const wasmConfig = z.strictObject({
  /** Path of the .wasm module (relative to the config file). */
  module: z.string().min(1),
  /** Handed to the module's init as JSON. */
  config: z.record(z.string(), z.unknown()).default({}),
  /** Refuse the module unless its SHA-256 (hex) matches. */
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'sha256 is 64 hex digits').optional(),
  /** Poll the module file and reload it when it changes; 0 disables. */
  reload_interval_ms: z.number().int().min(0).default(1000),
  ...runtimeFields,
});

export type RuntimeFields = z.infer<z.ZodObject<typeof runtimeFields>>;

/** The JSON each built-in module's init reads. */
export const moduleConfig = {
  filter: (c: z.infer<typeof filterConfig>) => ({ condition: normalizeCondition(c.condition) }),
  sample: (c: z.infer<typeof sampleConfig>) => ({ rate: c.rate, key_field: c.key_field ?? '' }),
  redact: (c: z.infer<typeof redactConfig>) => ({ patterns: c.patterns, mask: c.mask }),
  parse_json: (c: z.infer<typeof parseJsonConfig>) => ({ prefix: c.prefix, drop_invalid: c.drop_invalid }),
  parse_logfmt: (c: z.infer<typeof parseLogfmtConfig>) => ({ prefix: c.prefix, drop_invalid: c.drop_invalid }),
  set: (c: z.infer<typeof setConfig>) => ({
    overwrite: c.overwrite,
    fields: Object.entries(c.fields).map(([key, v]) => ({ key, type: typeof v === 'string' ? 0 : typeof v === 'number' ? 1 : 2, value: String(v) })),
  }),
  rename: (c: z.infer<typeof renameConfig>) => ({ fields: Object.entries(c.fields).map(([from, to]) => ({ from, to })) }),
  remove: (c: z.infer<typeof removeConfig>) => ({ fields: c.fields }),
  route: (c: z.infer<typeof routeConfig>) => ({
    routes: Object.entries(c.route).map(([name, condition]) => ({ name, condition: normalizeCondition(condition) })),
    ...(c.default_route !== undefined ? { default: c.default_route } : {}),
  }),
};
