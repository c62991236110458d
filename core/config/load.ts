// Loads and checks a config file: YAML → ${ENV} interpolation → top-level schema → each component's
// schema → topology (inputs exist, no cycles). Every problem names the file, line, column and key path.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import type { ComponentDef, ComponentKind } from '../component.js';
import { FlowlogError } from '../errors.js';
import { componentTypes, getComponent } from '../registry.js';
import { topLevelSchema } from './schema.js';
import { formatProblem, interpolateEnv, locate, parseYaml, type ConfigProblem, type ParsedYaml } from './yaml.js';

export type Role = 'agent' | 'aggregator';

export interface ComponentConfig {
  kind: ComponentKind;
  name: string;
  type: string;
  inputs: string[];
  options: unknown;
  def: ComponentDef;
}

export interface LoadedConfig {
  file: string;
  dir: string;
  dataDir: string;
  api: { enabled: boolean; address: string };
  log: { level: 'debug' | 'info' | 'warn' | 'error'; format?: 'json' | 'text' };
  /** Optional sections (spool, ...) as validated by their registered schemas. */
  sections: Record<string, unknown>;
  components: ComponentConfig[];
}

export class ConfigError extends FlowlogError {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.some((p) => p.message.includes('environment variable')) ? 'CONFIG_ENV' : 'CONFIG_INVALID', problems.map(formatProblem).join('\n'));
  }
}

const KINDS: [ComponentKind, 'sources' | 'transforms' | 'sinks'][] = [
  ['source', 'sources'],
  ['transform', 'transforms'],
  ['sink', 'sinks'],
];

export function loadConfigFile(file: string, opts: { role?: Role; env?: NodeJS.ProcessEnv } = {}): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FlowlogError('CONFIG_READ', `${file}: cannot read config: ${(e as Error).message}`, { cause: e });
  }
  return loadConfigText(text, file, opts);
}

export function loadConfigText(text: string, file: string, opts: { role?: Role; env?: NodeJS.ProcessEnv } = {}): LoadedConfig {
  const { parsed, problems } = parseYaml(text, file);
  if (problems.length) throw new ConfigError(problems);
  problems.push(...interpolateEnv(parsed, opts.env ?? process.env));
  const raw = parsed.doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([{ file, line: 1, column: 1, path: '', message: 'the config must be a mapping with sources, transforms and sinks' }]);
  }
  const top = topLevelSchema().safeParse(raw);
  if (!top.success) {
    problems.push(...zodProblems(parsed, [], top.error));
    throw new ConfigError(problems);
  }
  const cfg = top.data as Record<string, any>;
  const components: ComponentConfig[] = [];
  for (const [kind, key] of KINDS) {
    for (const [name, entry] of Object.entries(cfg[key] as Record<string, { type: string; inputs?: string[] }>)) {
      const def = getComponent(kind, entry.type);
      const at = [key, name];
      if (!def) {
        const known = componentTypes(kind);
        problems.push(problem(parsed, [...at, 'type'], `unknown ${kind} type "${entry.type}"; known: ${known.join(', ') || '(none)'}`));
        continue;
      }
      if (opts.role && !def.roles.includes(opts.role)) {
        problems.push(problem(parsed, [...at, 'type'], `${kind} type "${entry.type}" does not run in the ${opts.role}`));
      }
      if (kind === 'source' && entry.inputs) problems.push(problem(parsed, [...at, 'inputs'], 'sources take no inputs', true));
      if (kind !== 'source' && !entry.inputs) problems.push(problem(parsed, at, `${kind}s need inputs: [names of sources or transforms]`, true));
      const { type: _t, inputs: _i, ...rest } = entry;
      const r = def.schema.safeParse(rest);
      if (!r.success) {
        problems.push(...zodProblems(parsed, at, r.error));
        continue;
      }
      components.push({ kind, name, type: entry.type, inputs: entry.inputs ?? [], options: r.data, def });
    }
  }
  const declared = new Set([...Object.keys(cfg.sources), ...Object.keys(cfg.transforms)]);
  problems.push(...topologyProblems(parsed, components, declared));
  if (problems.length) throw new ConfigError(problems);
  const sections: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) if (!['data_dir', 'api', 'log', 'sources', 'transforms', 'sinks'].includes(k)) sections[k] = v;
  const dir = dirname(resolve(file));
  return {
    file,
    dir,
    dataDir: resolve(dir, cfg.data_dir as string),
    api: cfg.api,
    log: cfg.log,
    sections,
    components,
  };
}

function problem(p: ParsedYaml, path: (string | number)[], message: string, onKey = false): ConfigProblem {
  const pos = locate(p, path, onKey);
  return { file: p.file, line: pos.line, column: pos.column, path: path.join('.'), message };
}

function zodProblems(p: ParsedYaml, prefix: (string | number)[], err: z.ZodError): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of err.issues) {
    const path = [...prefix, ...(issue.path as (string | number)[])];
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) out.push(problem(p, [...path, k], `unknown key "${k}"`, true));
    } else {
      out.push(problem(p, path, issue.message.replace(/^Invalid input: /, '')));
    }
  }
  return out;
}

/** Inputs name existing sources or transforms (a trailing `*` matches a prefix); no cycles. */
function topologyProblems(p: ParsedYaml, comps: ComponentConfig[], declared: Set<string>): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const producers = new Map(comps.filter((c) => c.kind !== 'sink').map((c) => [c.name, c]));
  const resolved = new Map<string, string[]>();
  for (const c of comps) {
    const names: string[] = [];
    c.inputs.forEach((input, i) => {
      const section = c.kind === 'transform' ? 'transforms' : 'sinks';
      const matches = input.endsWith('*')
        ? [...producers.keys()].filter((n) => n.startsWith(input.slice(0, -1)) && n !== c.name)
        : producers.has(input)
          ? [input]
          : [];
      // a declared component that failed its own schema is already reported: no second error here
      if (matches.length === 0 && !declared.has(input)) {
        out.push(problem(p, [section, c.name, 'inputs', i], `input "${input}" is not a source or transform; known: ${[...producers.keys()].join(', ') || '(none)'}`));
      }
      names.push(...matches);
    });
    c.inputs = [...new Set(names)];
    resolved.set(c.name, c.inputs);
  }
  // cycle check over transforms (depth-first)
  const state = new Map<string, 1 | 2>();
  const visitNode = (n: string, stack: string[]): void => {
    if (state.get(n) === 2) return;
    if (state.get(n) === 1) {
      const t = producers.get(n)!;
      out.push(problem(p, ['transforms', t.name, 'inputs'], `inputs form a cycle: ${[...stack.slice(stack.indexOf(n)), n].join(' → ')}`));
      return;
    }
    state.set(n, 1);
    for (const i of resolved.get(n) ?? []) if (producers.get(i)?.kind === 'transform') visitNode(i, [...stack, n]);
    state.set(n, 2);
  };
  for (const c of comps) if (c.kind === 'transform') visitNode(c.name, []);
  return out;
}
