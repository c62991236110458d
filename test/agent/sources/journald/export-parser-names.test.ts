// The export parser remembers field-name strings in a small hash table (agent/sources/journald/
// export-parser.ts). Names that share a slot, names that are prefixes of others, and more names
// than the table holds must still come out exactly as written, whichever chunk boundaries fall.
// Hand-written export text (the format is documented in journalctl's export format spec).
import { describe, expect, it } from 'vitest';
import { ExportParser } from '../../../../agent/sources/journald/export-parser.js';
import type { FieldValue } from '../../../../agent/sources/journald/mapping.js';

function fieldsOf(text: Buffer, chunk: number): [string, string][][] {
  const entries: [string, string][][] = [];
  let cur: [string, string][] = [];
  const p = new ExportParser({
    field: (name: string, value: FieldValue) => cur.push([name, typeof value === 'string' ? value : value.toString('latin1')]),
    end: () => {
      entries.push(cur);
      cur = [];
    },
  });
  for (let i = 0; i < text.length; i += chunk) p.push(text.subarray(i, i + chunk));
  return entries;
}

describe('export parser field names', () => {
  it('keeps 3,000 distinct names, prefixes and slot-sharing names apart across entries and chunk sizes', () => {
    const names = ['A', 'AB', 'ABC', 'B', 'BA', '_A', '__A', 'MESSAGE', 'MESSAGE_ID'];
    for (let i = 0; i < 3000; i++) names.push(`F${i}`);
    const want: [string, string][][] = [];
    let text = '';
    for (let e = 0; e < 6; e++) {
      const entry: [string, string][] = [];
      // each entry lists the names in a different order, so slots are reused by different names
      for (let k = 0; k < names.length; k++) {
        const name = names[(k * (e + 1) * 7 + e) % names.length]!;
        entry.push([name, `${name}:${e}`]);
        text += `${name}=${name}:${e}\n`;
      }
      want.push(entry);
      text += '\n';
    }
    const buf = Buffer.from(text, 'latin1');
    for (const chunk of [buf.length, 4096, 97, 3]) expect(fieldsOf(buf, chunk)).toEqual(want);
  });
});
