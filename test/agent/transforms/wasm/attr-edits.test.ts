// A record's attribute sets applied through compiled object literals (attr-builder.ts) must give
// exactly what copying the attributes and storing key by key gives: the same keys in the same order,
// the same values, the base object untouched; across many shapes (past the compiled-shape limit),
// keys already in the base, keys set twice, integer-like keys and "__proto__".
import { expect, test } from 'vitest';
import { AttrEdits } from '../../../../agent/transforms/wasm/attr-builder.js';
import { copyAttributes, setAttribute, type Attributes, type AttrValue } from '../../../../core/event.js';

function reference(base: Attributes, sets: [string, AttrValue][]): Attributes {
  const a = copyAttributes(base);
  for (const [k, v] of sets) setAttribute(a, k, v);
  return a;
}

const entries = (a: Attributes) => Object.keys(a).map((k) => [k, a[k]]);

test('the compiled literal and the key-by-key stores agree on keys, order and values', () => {
  const edits = new AttrEdits();
  const keyPool = ['level', 'msg', 'path', 'k8s.pod.name', '1', '10', 'a', 'level', '__proto__', 'é'];
  const bases: Attributes[] = [{}, { 'file.path': '/var/log/a.log' }, { level: 'old', host: 'h1', 2: 'two' }, JSON.parse('{"__proto__":"x","q":1}') as Attributes];
  let cases = 0;
  for (let shape = 0; shape < 40; shape++) {
    const keys = Array.from({ length: 1 + (shape % 5) }, (_, j) => keyPool[(shape * 7 + j * 3) % keyPool.length]!);
    for (const base of bases) {
      const before = entries(base);
      for (let rec = 0; rec < 3; rec++) {
        const sets: [string, AttrValue][] = keys.map((k, j) => [k, j % 3 === 0 ? `v${shape}.${rec}.${j}` : j % 3 === 1 ? shape * 10 + rec : rec % 2 === 0]);
        for (const [k, v] of sets) edits.add(k, v);
        expect(edits.pending).toBe(sets.length);
        const got = edits.apply(base, true);
        const want = reference(base, sets);
        expect(got).not.toBe(base);
        expect(entries(got)).toEqual(entries(want));
        expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
        expect(edits.pending).toBe(0);
        cases++;
      }
      expect(entries(base)).toEqual(before); // the base is never changed
    }
    if (shape % 9 === 0) edits.reset();
  }
  expect(cases).toBe(40 * 4 * 3);
});

test('on an object the record already owns, the sets are stored into it', () => {
  const edits = new AttrEdits();
  const owned: Attributes = { a: 1 };
  edits.add('b', 2);
  edits.add('a', 3);
  expect(edits.apply(owned, false)).toBe(owned);
  expect(entries(owned)).toEqual([
    ['a', 3],
    ['b', 2],
  ]);
});
