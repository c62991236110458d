// The aggregator's top-level `routes:` section: named routes, each a condition and the sinks that
// receive the records it matches. A record goes to every sink of every route it matches (zero or more
// sinks). A sink that no route names receives every record of its inputs: by default everything goes
// to the cold (archive) sinks, and hot-path sinks (alerting, search) are ordinary sinks named in routes.
import { z } from 'zod';
import { registerSection } from '../../core/config/schema.js';
import { conditionSchema } from './matcher.js';

export const routeSchema = z.strictObject({
  /** Omitted: the route matches every record. */
  condition: conditionSchema.optional(),
  /** Names of sinks in this config. */
  sinks: z.array(z.string().min(1)).min(1, 'a route needs at least one sink'),
});

export const routesSchema = z.record(z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/), routeSchema);
export type RoutesConfig = z.infer<typeof routesSchema>;

/** Registers the top-level `routes:` section with the config loader. */
export function registerRoutesSection(): void {
  registerSection('routes', routesSchema);
}
