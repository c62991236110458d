// Vector transforms → flowlog transforms: filter (simple VRL conditions) and sample. Everything else
// (remap and its VRL programs, route, reduce, ...) is reported and left out.
import { mapField } from './fields.js';
import { Report, isObj, walkOptions } from './report.js';
import { RemapUnsupported, translateRemapSource } from './remap.js';
import { VrlUnsupported, translateCondition, type Condition } from './vrl.js';

type Out = Record<string, unknown>;
export type TransformResult = { type: string; options: Out } | null;

export function translateTransform(r: Report, name: string, cfg: Record<string, any>): TransformResult {
  const path = ['transforms', name];
  switch (cfg.type) {
    case 'filter':
      return filter(r, path, cfg);
    case 'sample':
      return sample(r, path, cfg);
    case 'remap':
      r.untranslated([...path, cfg.file !== undefined ? 'file' : 'source'], 'remap runs a VRL program, which flowlog does not execute: port it to flowlog transforms (set, rename, remove, parse_json, parse_logfmt, redact) or a wasm module; the transform was left out');
      return null;
    default:
      r.untranslated([...path, 'type'], `Vector transform type "${cfg.type}" has no flowlog translation; the transform was left out`);
      return null;
  }
}

/** A Vector condition (VRL string, {type: vrl, source}) → flowlog condition, or null (reported). */
export function condition(r: Report, at: string[], v: unknown): Condition | null {
  let src: string | undefined;
  let srcAt = at;
  if (typeof v === 'string') src = v;
  else if (isObj(v) && (v.type === 'vrl' || v.type === undefined) && typeof v.source === 'string') {
    src = v.source;
    srcAt = [...at, 'source'];
  } else if (isObj(v)) {
    r.untranslated(at, `condition type "${v.type}" is not translated (only VRL comparisons are)`);
    return null;
  }
  if (src === undefined) {
    r.untranslated(at, 'missing condition');
    return null;
  }
  try {
    const { condition, notes } = translateCondition(src);
    for (const n of notes) r.note(srcAt, n);
    return condition;
  } catch (e) {
    if (!(e instanceof VrlUnsupported)) throw e;
    r.untranslated(srcAt, `VRL condition ${JSON.stringify(src.trim())} is not translated: ${e.message}`);
    return null;
  }
}

function filter(r: Report, path: string[], cfg: Record<string, any>): TransformResult {
  let cond: Condition | null = null;
  walkOptions(r, path, cfg, { condition: (v, at) => (cond = condition(r, at, v)) }, "flowlog's filter transform");
  if (!cond) {
    r.untranslated(path, 'the filter was left out because its condition could not be translated: events it dropped now pass');
    return null;
  }
  return { type: 'filter', options: { condition: cond } };
}

function sample(r: Report, path: string[], cfg: Record<string, any>): TransformResult {
  const o: Out = {};
  walkOptions(r, path, cfg, {
    rate: (v) => (o.rate = v),
    ratio: (v, at) => {
      const rate = Math.round(1 / Number(v));
      o.rate = rate;
      if (Math.abs(1 / rate - Number(v)) > 1e-9) r.note(at, `ratio ${v} became rate ${rate} (1 in ${rate})`);
    },
    key_field: (v, at) => {
      const f = mapField(String(v));
      if (f?.kind === 'attribute') {
        o.key_field = f.name;
        if (!f.known) r.note(at, `field ${v} assumed to be the attribute "${f.name}"`);
      } else if (f?.kind === 'body') {
        r.note(at, 'key_field message: flowlog samples by the body when key_field is unset');
      } else r.untranslated(at, `key_field ${v} is not an attribute`);
    },
    exclude: (v, at) => {
      const c = condition(r, at, v);
      if (c) r.untranslated(at, `sample exclude is not supported by flowlog's sample (would be ${JSON.stringify(c)}): excluded events are now sampled too; route them around the sample`);
    },
    group_by: (_v, at) => r.untranslated(at, 'group_by is not supported: flowlog samples each key_field value at the same rate'),
    sample_rate_key: (_v, at) => r.untranslated(at, 'the sample rate is not written into events'),
  }, "flowlog's sample transform");
  if (o.rate === undefined) {
    r.untranslated(path, 'sample without rate/ratio was left out');
    return null;
  }
  return { type: 'sample', options: o };
}

/**
 * A Vector `route` → one flowlog filter per lane, named `<route>.<lane>` (flowlog names may contain
 * dots), so consumers of `route.lane` keep their inputs and lanes stay non-exclusive as in Vector.
 * `_unmatched` (reroute_unmatched, on by default) is the negation of every lane. Only lanes that some
 * component consumes are emitted. Returns lane name → options; lanes that fail are reported.
 */
export function translateRoute(r: Report, name: string, cfg: Record<string, any>, consumed: Set<string>): Map<string, Out> {
  const path = ['transforms', name];
  const lanes = new Map<string, Out>();
  const conds: Condition[] = [];
  let allTranslated = true;
  let rerouteUnmatched = true;
  walkOptions(r, path, cfg, {
    route: (v, at) => {
      if (!isObj(v)) return r.untranslated(at, 'route must be a table of lane → condition');
      for (const [lane, c] of Object.entries(v)) {
        const cond = condition(r, [...at, lane], c);
        if (!cond) {
          allTranslated = false;
          continue;
        }
        conds.push(cond);
        if (consumed.has(`${name}.${lane}`)) lanes.set(lane, { condition: cond });
      }
    },
    reroute_unmatched: (v) => (rerouteUnmatched = v !== false),
  }, "flowlog's route translation");
  if (consumed.has(`${name}._unmatched`) && rerouteUnmatched) {
    if (allTranslated && conds.length) lanes.set('_unmatched', { condition: { not: conds.length === 1 ? conds[0]! : { any: conds } } });
    else r.untranslated([...path, 'route'], 'the _unmatched lane needs every lane condition translated; it was left out');
  }
  if (lanes.size) r.note([...path, 'type'], `route became one filter per consumed lane: ${[...lanes.keys()].map((l) => `${name}.${l}`).join(', ')}`);
  return lanes;
}

/**
 * A remap whose program is only simple statements → a chain of flowlog transforms (the last one keeps
 * the remap's name, so consumers are unchanged); null when it is not (nothing reported: the caller
 * then reports the remap as a VRL program, with the reason).
 */
export function translateRemap(r: Report, name: string, cfg: Record<string, any>): { type: string; options: Out }[] | string {
  const path = ['transforms', name];
  if (typeof cfg.source !== 'string') return 'the program is in a file (`file`) or missing';
  let res;
  try {
    res = translateRemapSource(cfg.source);
  } catch (e) {
    if (e instanceof RemapUnsupported) return e.message;
    throw e;
  }
  for (const k of Object.keys(cfg)) {
    if (['type', 'inputs', 'source'].includes(k)) continue;
    if (k === 'drop_on_error' && cfg[k] === false) continue;
    r.untranslated([...path, k], `remap option ${k} is not supported`);
  }
  for (const n of res.notes) r.note([...path, 'source'], n);
  r.note([...path, 'type'], `remap became ${res.steps.map((s) => s.type).join(' → ')}`);
  return res.steps.map((s) => (s.type === 'parse_json' ? { type: 'parse_json', options: {} } : { type: s.type, options: { fields: s.fields } }));
}
