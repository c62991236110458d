// Copies of attribute maps through object literals compiled per key list. Building a copy key by key
// (or `{...b}` and then adding a key) measured ~2 µs per event on Node 20 with dotted keys, each copy
// walking fresh map transitions; a literal with the same keys is ~20x cheaper. Keys are embedded with
// JSON.stringify: values are never part of the generated source.
import { setAttribute, type Attributes, type AttrValue } from './event.js';

export type AttrCopier = (b: Attributes, v: AttrValue) => Attributes;

/** Key lists longer than this are copied generically (a literal that large gains little). */
const MAX_COMPILED_KEYS = 64;

/**
 * A function copying an attributes object that has `keys`: without `omit` (when not null), plus
 * `extra: v` (when extra is not ''). A "__proto__" key is copied as data (a literal would set the
 * prototype instead), so such key lists take the generic copy.
 */
export function compileCopier(keys: readonly string[], omit: string | null, extra: string): AttrCopier {
  if (keys.length > MAX_COMPILED_KEYS || keys.includes('__proto__') || extra === '__proto__') {
    return (b, v) => {
      const a = copyWithout(b, omit);
      if (extra) setAttribute(a, extra, v);
      return a;
    };
  }
  const props = keys.filter((k) => k !== extra && k !== omit).map(copied);
  if (extra) props.push(`${JSON.stringify(extra)}: v`);
  return new Function('b', 'v', `return { ${props.join(', ')} };`) as AttrCopier;
}

const copied = (k: string): string => `${JSON.stringify(k)}: b[${JSON.stringify(k)}]`;

export type AttrSetter = (b: Attributes, v: readonly AttrValue[]) => Attributes;

/**
 * A function copying an attributes object that has `keys` and setting `sets[i]: v[i]` on the copy,
 * as stores would: a key already present keeps its position, a key set twice keeps the last value.
 * Null when the lists are too long or hold "__proto__" (the caller then copies and stores).
 */
export function compileSetter(keys: readonly string[], sets: readonly string[]): AttrSetter | null {
  if (keys.length + sets.length > MAX_COMPILED_KEYS || keys.includes('__proto__') || sets.includes('__proto__')) return null;
  const props = keys.map(copied);
  sets.forEach((k, i) => props.push(`${JSON.stringify(k)}: v[${i}]`));
  return new Function('b', 'v', `return { ${props.join(', ')} };`) as AttrSetter;
}

/** A copy of `b` without `omit`, key by key (the generic path). */
export function copyWithout(b: Attributes, omit: string | null): Attributes {
  const a: Attributes = {};
  for (const k of Object.keys(b)) if (k !== omit) setAttribute(a, k, b[k]!);
  return a;
}

/** Whether `a` has exactly `keys`, in that order (what a copier compiled for `keys` expects). */
export function hasKeys(a: Attributes, keys: readonly string[]): boolean {
  let i = 0;
  for (const k in a) if (k !== keys[i++]) return false;
  return i === keys.length;
}
