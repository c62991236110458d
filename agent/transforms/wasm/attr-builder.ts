// A record's attribute edits applied as one object literal: the copy of its attributes and every key
// the module set, built by a function compiled for the base's key list and the edited keys (the
// same few lists recur across a batch: parse_json, set, route). Copying the base and then storing
// key by key walks V8's map transitions for every record; a literal with the keys in place is one
// allocation. The semantics are those of the stores: a key already present keeps its position, a
// key set twice keeps the last value.
import { compileSetter, hasKeys, type AttrSetter } from '../../../core/attrs.js';
import { copyAttributes, setAttribute, type Attributes, type AttrValue } from '../../../core/event.js';

interface Shape {
  base: string[];
  keys: string[];
  build: AttrSetter;
}

/** Compiled shapes, at most MAX_SHAPES (then the generic path). */
const shapes: Shape[] = [];
const MAX_SHAPES = 16;

function sameKeys(a: readonly string[], keys: readonly string[], n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== keys[i]) return false;
  return true;
}

/** Collects one record's attribute sets at a time and applies them (see the file comment). */
export class AttrEdits {
  private keys: string[] = [];
  private vals: AttrValue[] = [];
  private n = 0;
  /** The last base object matched in this batch, and its shape: events of a stream share one. */
  private lastBase: Attributes | null = null;
  private last: Shape | null = null;

  add(key: string, v: AttrValue): void {
    this.keys[this.n] = key;
    this.vals[this.n++] = v;
  }

  get pending(): number {
    return this.n;
  }

  /** A new batch: the base objects of the last one are not trusted to be unchanged. */
  reset(): void {
    this.n = 0;
    this.lastBase = null;
    this.last = null;
  }

  /** The collected sets applied to `base`: a new object when `copy`, else `base` itself changed. */
  apply(base: Attributes, copy: boolean): Attributes {
    const n = this.n;
    this.n = 0;
    if (copy) {
      const s = this.shape(base, n);
      if (s) return s.build(base, this.vals);
      base = copyAttributes(base);
    }
    for (let i = 0; i < n; i++) setAttribute(base, this.keys[i]!, this.vals[i]!);
    return base;
  }

  private shape(base: Attributes, n: number): Shape | null {
    const last = this.last;
    if (last !== null && sameKeys(last.keys, this.keys, n) && (base === this.lastBase || hasKeys(base, last.base))) {
      this.lastBase = base;
      return last;
    }
    for (const s of shapes) {
      if (s !== last && sameKeys(s.keys, this.keys, n) && hasKeys(base, s.base)) {
        this.last = s;
        this.lastBase = base;
        return s;
      }
    }
    if (shapes.length >= MAX_SHAPES) return null;
    const baseKeys = Object.keys(base);
    const keys = this.keys.slice(0, n);
    const build = compileSetter(baseKeys, keys);
    if (!build) return null;
    const s = { base: baseKeys, keys, build };
    shapes.push(s);
    this.last = s;
    this.lastBase = base;
    return s;
  }
}
