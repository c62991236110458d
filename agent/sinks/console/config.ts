import { z } from 'zod';

export const consoleConfig = z.strictObject({
  /** json: the wire encoding (docs/event-model.md); text: the body only. */
  encoding: z.strictObject({ codec: z.enum(['json', 'text']).default('json') }).prefault({}),
  target: z.enum(['stdout', 'stderr']).default('stdout'),
});
export type ConsoleConfig = z.infer<typeof consoleConfig>;
