// The catalog of component types. Each component folder defines a ComponentDef; agent/components.ts
// and aggregator/components.ts register theirs. The config loader validates against this catalog.
import type { ComponentDef, ComponentKind } from './component.js';
import { FlowlogError } from './errors.js';

const defs = new Map<string, ComponentDef>();

const keyOf = (kind: ComponentKind, type: string) => `${kind}:${type}`;

export function registerComponent(def: ComponentDef<any, any>): void {
  const k = keyOf(def.kind, def.type);
  const existing = defs.get(k);
  if (existing && existing !== def) throw new FlowlogError('INTERNAL', `component ${k} registered twice`);
  defs.set(k, def);
}

export function getComponent(kind: ComponentKind, type: string): ComponentDef | undefined {
  return defs.get(keyOf(kind, type));
}

export function componentTypes(kind: ComponentKind): string[] {
  return [...defs.values()].filter((d) => d.kind === kind).map((d) => d.type).sort();
}
