// The agent's graph from a loaded config: component instances, and for every source and transform the
// stages it feeds (transforms by name, sinks as one spool-writer route naming the sinks). Sinks all
// read the one spool; an entry meant for only some of them says so in its group.
import type { ComponentConfig, LoadedConfig } from '../../core/config/load.js';
import type { Sink, Source, Transform } from '../../core/component.js';
import { FlowlogError } from '../../core/errors.js';
import { isSpoolSink } from './sink-runner.js';
import type { Route } from './spool-writer.js';

export interface SourceNode {
  name: string;
  type: string;
  source: Source;
}

export interface TransformNode {
  name: string;
  type: string;
  transform: Transform;
  /** Producers feeding it. */
  inputs: string[];
}

export interface SinkNode {
  name: string;
  type: string;
  sink: Sink;
}

export interface Topology {
  sources: SourceNode[];
  transforms: TransformNode[];
  sinks: SinkNode[];
  /** For each producer (source or transform): transforms it feeds, and its spool-writer route (or -1). */
  edges: Map<string, { transforms: string[]; route: number }>;
  routes: Route[];
}

export function buildTopology(cfg: LoadedConfig): Topology {
  const env = { configDir: cfg.dir, dataDir: cfg.dataDir };
  const of = (kind: ComponentConfig['kind']) => cfg.components.filter((c) => c.kind === kind);
  const sources = of('source').map((c) => ({ name: c.name, type: c.type, source: c.def.build(c.options, env) as Source }));
  const transforms = of('transform').map((c) => ({
    name: c.name,
    type: c.type,
    transform: c.def.build(c.options, env) as Transform,
    inputs: c.inputs,
  }));
  const sinks = of('sink').map((c) => ({ name: c.name, type: c.type, sink: c.def.build(c.options, env) as Sink, inputs: c.inputs }));
  if (sources.length === 0) throw new FlowlogError('CONFIG_TOPOLOGY', `${cfg.file}: the agent needs at least one source`);
  if (sinks.length === 0) throw new FlowlogError('CONFIG_TOPOLOGY', `${cfg.file}: the agent needs at least one sink`);

  const edges = new Map<string, { transforms: string[]; route: number }>();
  for (const n of [...sources, ...transforms]) edges.set(n.name, { transforms: [], route: -1 });
  for (const t of transforms) for (const i of t.inputs) edges.get(i)!.transforms.push(t.name);
  const sinksOf = new Map<string, string[]>();
  for (const s of sinks) for (const i of s.inputs) sinksOf.set(i, [...(sinksOf.get(i) ?? []), s.name]);
  const routes: Route[] = [];
  const routeIndex = new Map<string, number>();
  for (const [producer, names] of sinksOf) {
    const key = [...names].sort().join(',');
    let idx = routeIndex.get(key);
    if (idx === undefined) {
      const fields = new Set<string>();
      for (const n of names) {
        const s = sinks.find((x) => x.name === n)!.sink;
        if (isSpoolSink(s)) for (const f of s.routeFields) fields.add(f);
      }
      idx = routes.push({ sinks: [...names].sort(), fields: [...fields].sort() }) - 1;
      routeIndex.set(key, idx);
    }
    edges.get(producer)!.route = idx;
  }
  for (const [name, e] of edges) {
    if (e.transforms.length === 0 && e.route < 0) throw new FlowlogError('CONFIG_TOPOLOGY', `${cfg.file}: "${name}" feeds nothing; name it in a transform's or sink's inputs`);
  }
  return { sources, transforms, sinks: sinks.map(({ inputs: _i, ...s }) => s), edges, routes };
}
