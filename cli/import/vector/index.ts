// `flowlog import vector`: a Vector config (TOML, YAML or JSON) → a flowlog config (YAML) plus the
// report of what was not translated, with locations. Components that cannot be translated are left
// out and their consumers rewired to the left-out component's own inputs, so the output stays a
// working pipeline; every such change is in the report.
import { stringify } from 'yaml';
import { parseVector, type ParsedVector, type VectorFormat } from './parse.js';
import { Report, isObj } from './report.js';
import { translateSink } from './sinks.js';
import { translateSource } from './sources.js';
import { translateRemap, translateRoute, translateTransform } from './transforms.js';

type Out = Record<string, unknown>;

export interface ImportResult {
  /** The flowlog config as an object (sources, transforms, sinks, ...). */
  config: Out;
  report: Report;
  /** The YAML text: the report as comments at the top, then the config. */
  yaml: string;
}

const GLOBAL = new Set(['sources', 'transforms', 'sinks', 'data_dir', 'api']);

export function importVector(text: string, file: string, format?: VectorFormat): ImportResult {
  const parsed = parseVector(text, file, format);
  const report = new Report(parsed);
  const config = translate(parsed, report);
  return { config, report, yaml: render(file, report, config) };
}

function translate(p: ParsedVector, r: Report): Out {
  const v = p.config;
  const out: Out = {};
  for (const key of Object.keys(v)) if (!GLOBAL.has(key)) r.untranslated([key], `global option "${key}" has no flowlog equivalent`);
  if (v.data_dir !== undefined) out.data_dir = v.data_dir;
  if (isObj(v.api)) {
    const api: Out = {};
    for (const [k, val] of Object.entries(v.api)) {
      if (k === 'enabled' || k === 'address') api[k] = val;
      else r.untranslated(['api', k], `api.${k} is not supported (flowlog's API serves /health and /metrics)`);
    }
    out.api = api;
  }
  const sources: Out = {};
  const transforms: Out = {};
  const sinks: Out = {};
  /** Components left out → their inputs (for rewiring); left-out sources map to []. */
  const skipped = new Map<string, string[]>();
  const inputsOf = new Map<string, string[]>();
  /** flowlog component → its Vector path, when they differ (route lanes). */
  const origin = new Map<string, string[]>();

  for (const [name, c] of entries(r, v.sources, 'sources')) {
    const t = translateSource(r, name, c);
    if (t) sources[name] = { type: t.type, ...t.options };
    else skipped.set(name, []);
  }
  const consumed = new Set<string>();
  for (const section of [v.transforms, v.sinks]) {
    if (isObj(section)) for (const c of Object.values(section)) if (isObj(c)) toInputs(c.inputs).forEach((i) => consumed.add(i));
  }
  for (const [name, c] of entries(r, v.transforms, 'transforms')) {
    const inputs = toInputs(c.inputs);
    if (c.type === 'route') {
      for (const [lane, opts] of translateRoute(r, name, c, consumed)) {
        transforms[`${name}.${lane}`] = { type: 'filter', inputs, ...opts };
        inputsOf.set(`${name}.${lane}`, inputs);
        origin.set(`${name}.${lane}`, ['transforms', name]);
      }
      continue;
    }
    if (c.type === 'remap') {
      const chain = translateRemap(r, name, c);
      if (typeof chain !== 'string') {
        let prev = inputs;
        chain.forEach((t, k) => {
          const id = k === chain.length - 1 ? name : `${name}.${k + 1}`;
          transforms[id] = { type: t.type, inputs: prev, ...t.options };
          inputsOf.set(id, prev);
          if (id !== name) origin.set(id, ['transforms', name]);
          prev = [id];
        });
        continue;
      }
      r.untranslated(['transforms', name, c.file !== undefined ? 'file' : 'source'], `remap runs a VRL program, which flowlog does not execute (${chain}): port it to flowlog transforms (set, rename, remove, parse_json, parse_logfmt, redact) or a wasm module; the transform was left out`);
      skipped.set(name, inputs);
      continue;
    }
    const t = translateTransform(r, name, c);
    if (t) {
      transforms[name] = { type: t.type, inputs, ...t.options };
      inputsOf.set(name, inputs);
    } else skipped.set(name, inputs);
  }
  let spool: Out | undefined;
  for (const [name, c] of entries(r, v.sinks, 'sinks')) {
    const t = translateSink(r, name, c);
    if (!t) continue;
    sinks[name] = { type: t.type, inputs: toInputs(c.inputs), ...t.options };
    if (t.spool) {
      if (spool) r.untranslated(['sinks', name, 'buffer'], 'flowlog has one spool for the agent; the first sink buffer was used');
      else spool = t.spool;
    }
  }

  // rewire consumers of left-out components to those components' inputs
  const resolve = (input: string, seen: Set<string>): string[] => {
    if (!skipped.has(input) || seen.has(input)) return [input];
    seen.add(input);
    return skipped.get(input)!.flatMap((i) => resolve(i, seen));
  };
  const noted = new Set<string>();
  const rewire = (section: string, comps: Out) => {
    for (const [name, comp] of Object.entries(comps) as [string, Out][]) {
      const before = comp.inputs as string[];
      const after: string[] = [];
      before.forEach((i, n) => {
        if (skipped.has(i)) {
          const to = resolve(i, new Set());
          const at = [...(origin.get(name) ?? [section, name]), 'inputs'];
          const msg = `input "${i}" was left out; ${to.length ? `now reads ${to.join(', ')}` : 'nothing replaces it'}`;
          if (!noted.has(at.join('.') + msg)) r.note(at, msg);
          noted.add(at.join('.') + msg);
          after.push(...to);
        } else if (/\.[^.*]+$/.test(i) && !(i in sources) && !(i in transforms)) {
          r.untranslated([section, name, 'inputs', String(n)], `input "${i}" names a component output that was not translated (a route lane whose condition could not be, or another transform's named output); it was dropped`);
        } else after.push(i);
      });
      comp.inputs = [...new Set(after)];
    }
  };
  rewire('transforms', transforms);
  rewire('sinks', sinks);
  for (const [section, comps] of [['transforms', transforms], ['sinks', sinks]] as const) {
    for (const [name, comp] of Object.entries(comps) as [string, Out][]) {
      if ((comp.inputs as string[]).length === 0) {
        r.untranslated([section, name], 'left out: none of its inputs could be translated');
        delete (comps as Out)[name];
      }
    }
  }
  if (spool) out.spool = spool;
  out.sources = sources;
  if (Object.keys(transforms).length) out.transforms = transforms;
  out.sinks = sinks;
  return out;
}

function entries(r: Report, v: unknown, section: string): [string, Record<string, any>][] {
  if (v === undefined) return [];
  if (!isObj(v)) {
    r.untranslated([section], `${section} must be a table of named components`);
    return [];
  }
  const out: [string, Record<string, any>][] = [];
  for (const [name, c] of Object.entries(v)) {
    if (!isObj(c) || typeof c.type !== 'string') r.untranslated([section, name], 'a component needs a type');
    else out.push([name, c]);
  }
  return out;
}

function toInputs(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
}

function render(file: string, report: Report, config: Out): string {
  const items = report.items;
  const head = [`# Translated from ${file} by \`flowlog import vector\`.`];
  const bad = items.filter((i) => i.kind === 'not translated');
  const notes = items.filter((i) => i.kind === 'note');
  head.push(bad.length ? `# NOT TRANSLATED (${bad.length}): review before use.` : '# Everything was translated.');
  for (const i of bad) head.push(`#   ${i.where}: ${i.path}: ${i.message}`);
  if (notes.length) head.push(`# Notes (${notes.length}):`);
  for (const i of notes) head.push(`#   ${i.where}: ${i.path}: ${i.message}`);
  return head.map((l) => l.replace(/\n/g, ' ')).join('\n') + '\n' + stringify(config, { lineWidth: 0, aliasDuplicateObjects: false });
}
