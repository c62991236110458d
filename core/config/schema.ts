// The top-level shape of a flowlog config file (Vector-shaped: sources, transforms, sinks, each named,
// each with a `type`; transforms and sinks with `inputs`). Component options are checked against the
// component's own schema (core/registry.ts); optional top-level sections (e.g. `spool`) register theirs.
import { z } from 'zod';

export const DEFAULT_DATA_DIR = '/var/lib/flowlog';
export const DEFAULT_API_ADDRESS = '127.0.0.1:8686';

export const apiSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** host:port; binds loopback unless configured otherwise. */
  address: z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:8686')
    .default(DEFAULT_API_ADDRESS),
});

export const logSchema = z.strictObject({
  level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  format: z.enum(['json', 'text']).optional(),
});

const componentName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'component names use letters, digits, _ . -');

/** A component entry before its own schema is applied. */
export const componentEntry = z.looseObject({
  type: z.string({ message: 'every component needs a `type`' }),
  inputs: z.array(z.string()).min(1, 'inputs needs at least one component name').optional(),
});

export const baseFields = {
  data_dir: z.string().default(DEFAULT_DATA_DIR),
  api: apiSchema.prefault({}),
  log: logSchema.prefault({}),
  sources: z.record(componentName, componentEntry).default({}),
  transforms: z.record(componentName, componentEntry).default({}),
  sinks: z.record(componentName, componentEntry).default({}),
};

const sections = new Map<string, z.ZodType>();

/** Registers an optional top-level section (e.g. `spool`) with its schema. */
export function registerSection(name: string, schema: z.ZodType): void {
  sections.set(name, schema);
}

export function topLevelSchema() {
  const extra: Record<string, z.ZodType> = {};
  for (const [k, s] of sections) extra[k] = s.optional();
  return z.strictObject({ ...baseFields, ...extra });
}
