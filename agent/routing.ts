// Routing groups: the agent encodes each event once and files it under the values of the attributes
// its sinks route by (topic/key/header templates). A group is a small JSON object text
// (`{"k8s.namespace.name":"web"}`), self-describing so entries written under an older config still
// route after a reload; sinks parse it once per spool entry, never per event.
import type { LogEvent } from '../core/event.js';

/** Group key naming the sinks an entry is for, when not every spool consumer takes it. */
export const SINKS_KEY = 'flowlog.sinks';

export type GroupValues = Readonly<Record<string, string>>;

/** Groups events by the values of `fields` (sorted, deduplicated); events keep their order within a group. */
export class Grouper {
  readonly fields: readonly string[];

  private readonly extra: Readonly<Record<string, string>>;
  private readonly constant: string;

  /** `extra` values are added to every group (e.g. which sinks the events are for). */
  constructor(fields: Iterable<string>, extra: Readonly<Record<string, string>> = {}) {
    this.fields = [...new Set(fields)].sort();
    this.extra = extra;
    this.constant = JSON.stringify(extra);
  }

  /** Splits a batch into [group, events] pairs. Missing attributes are left out of the group. */
  split(events: readonly LogEvent[]): [string, LogEvent[]][] {
    if (this.fields.length === 0) return events.length ? [[this.constant, events as LogEvent[]]] : [];
    const byKey = new Map<string, { group: string; events: LogEvent[] }>();
    const f = this.fields;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      let key = '';
      for (let j = 0; j < f.length; j++) {
        const v = e.attributes[f[j]!];
        key += v === undefined ? '\u0000' : '\u0001' + String(v);
        key += '\u0002';
      }
      let g = byKey.get(key);
      if (!g) {
        const o: Record<string, string> = { ...this.extra };
        for (const name of f) {
          const v = e.attributes[name];
          if (v !== undefined) o[name] = String(v);
        }
        g = { group: JSON.stringify(o), events: [] };
        byKey.set(key, g);
      }
      g.events.push(e);
    }
    return [...byKey.values()].map((g) => [g.group, g.events]);
  }
}

const cache = new Map<string, GroupValues>();

/** The values of a group text (cached: a host has few distinct groups). Unparsable text yields {}. */
export function parseGroup(group: string): GroupValues {
  let v = cache.get(group);
  if (v) return v;
  try {
    const o = JSON.parse(group) as unknown;
    v = o && typeof o === 'object' && !Array.isArray(o) ? (o as GroupValues) : {};
  } catch {
    v = {};
  }
  if (cache.size > 10_000) cache.clear();
  cache.set(group, v);
  return v;
}

/** Whether an entry with this group is meant for `sink` (entries without SINKS_KEY are for every sink). */
export function groupIsFor(values: GroupValues, sink: string): boolean {
  const list = values[SINKS_KEY];
  return list === undefined || list.split(',').includes(sink);
}
