// The structured matcher shared by routes (and the `filter` transform's `condition`):
//   {severity_at_least: warn} | {body_contains: "x"} |
//   {attribute: "k8s.namespace.name", equals|prefix|contains: "x"} | {exists: true}
//   {all: [..]} | {any: [..]} | {not: {..}}
// A condition is compiled once into a closure; matching an event allocates nothing.
import { z } from 'zod';
import { severityFromText, type LogEvent } from '../../core/event.js';

export type Condition =
  | { severity_at_least: string | number }
  | { body_contains: string }
  | { attribute: string; equals?: string | number | boolean; prefix?: string; contains?: string; exists?: boolean }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

const severityLevel = z.union([
  z.number().int().min(0).max(24),
  z.string().refine((s) => severityFromText(s) > 0, 'a severity name: trace, debug, info, warn, error, fatal'),
]);

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ severity_at_least: severityLevel }),
    z.strictObject({ body_contains: z.string().min(1) }),
    z
      .strictObject({
        attribute: z.string().min(1),
        equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
        prefix: z.string().optional(),
        contains: z.string().optional(),
        exists: z.boolean().optional(),
      })
      .refine(
        (c) => [c.equals, c.prefix, c.contains, c.exists].filter((v) => v !== undefined).length === 1,
        'an attribute condition needs exactly one of equals, prefix, contains, exists',
      ),
    z.strictObject({ all: z.array(conditionSchema).min(1) }),
    z.strictObject({ any: z.array(conditionSchema).min(1) }),
    z.strictObject({ not: conditionSchema }),
  ]),
) as z.ZodType<Condition>;

export type Matcher = (e: LogEvent) => boolean;

export function compileCondition(c: Condition): Matcher {
  if ('severity_at_least' in c) {
    const min = typeof c.severity_at_least === 'number' ? c.severity_at_least : severityFromText(c.severity_at_least);
    return (e) => e.severityNumber >= min;
  }
  if ('body_contains' in c) {
    const needle = c.body_contains;
    return (e) => e.body.includes(needle);
  }
  if ('attribute' in c) {
    const key = c.attribute;
    if (c.exists !== undefined) {
      const want = c.exists;
      return (e) => (e.attributes[key] !== undefined) === want;
    }
    if (c.equals !== undefined) {
      const want = c.equals;
      return (e) => e.attributes[key] === want || (e.attributes[key] !== undefined && String(e.attributes[key]) === String(want));
    }
    if (c.prefix !== undefined) {
      const p = c.prefix;
      return (e) => {
        const v = e.attributes[key];
        return v !== undefined && String(v).startsWith(p);
      };
    }
    const s = c.contains!;
    return (e) => {
      const v = e.attributes[key];
      return v !== undefined && String(v).includes(s);
    };
  }
  if ('all' in c) {
    const ms = c.all.map(compileCondition);
    return (e) => ms.every((m) => m(e));
  }
  if ('any' in c) {
    const ms = c.any.map(compileCondition);
    return (e) => ms.some((m) => m(e));
  }
  const inner = compileCondition(c.not);
  return (e) => !inner(e);
}
