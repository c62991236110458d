// The export and JSON parsers on real journalctl output of a real journal file: fed in chunks cut at
// every kind of boundary (inside names, length prefixes, binary values, between entries), both
// give the same entries, and they match what was written. Also the field-name options.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportParser } from '../../../../agent/sources/journald/export-parser.js';
import { JsonParser } from '../../../../agent/sources/journald/json-parser.js';
import { EntryBuilder, type MappedEntry } from '../../../../agent/sources/journald/mapping.js';
import { isFlowlogError } from '../../../../core/errors.js';
import { seqEntry, unavailableReason, writeJournal } from './fixtures.js';

const skip = unavailableReason();
const dir = mkdtempSync(join(tmpdir(), 'flowlog-jd-parse-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 300;
function entries() {
  const out = [];
  for (let i = 0; i < N; i++) {
    const extra: Record<string, string | Buffer | string[]> = {};
    if (i % 7 === 0) extra.BIN = Buffer.from([i & 0xff, 0xff, 0, 10, 13]);
    if (i % 11 === 0) extra.MESSAGE = `multi\nline ${i}\n`;
    if (i % 13 === 0) extra.REP = ['a', `b${i}`];
    if (i % 17 === 0) extra.MESSAGE = 'x'.repeat(5000 + i); // larger than journalctl's 4096-byte JSON default
    out.push(seqEntry(i, extra));
  }
  return out;
}

function collect(feed: (rx: EntryBuilder) => void, opts = { lowercaseFields: true, stripUnderscores: true }): MappedEntry[] {
  const got: MappedEntry[] = [];
  const b = new EntryBuilder({ source: 's', ...opts }, (e) => got.push(e));
  feed(b);
  return got;
}

function comparable(es: MappedEntry[]) {
  return es.map((e) => ({ ...e, event: { ...e.event, observedMs: 0, observedNs: 0 } }));
}

describe.skipIf(skip)(`journald parsers${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let exported: Buffer;
  let json: Buffer;
  beforeAll(async () => {
    await writeJournal(join(dir, 'p.journal'), entries());
    exported = execFileSync('journalctl', [`--directory=${dir}`, '-o', 'export', '--no-pager'], { maxBuffer: 1 << 28 });
    json = execFileSync('journalctl', [`--directory=${dir}`, '-o', 'json', '--all', '--no-pager'], { maxBuffer: 1 << 28 });
  });

  it('parses export output whole and in chunks of every size alike', () => {
    const whole = collect((b) => new ExportParser(b).push(exported));
    expect(whole.length).toBe(N);
    expect(whole.map((e) => e.event.attributes['journald.seq'])).toEqual(Array.from({ length: N }, (_, i) => String(i)));
    expect(Buffer.from(String(whole[7]!.event.attributes['journald.bin.base64']), 'base64')).toEqual(Buffer.from([7, 0xff, 0, 10, 13]));
    expect(whole[11]!.event.body).toBe('multi\nline 11\n');
    expect(whole[17]!.event.body).toBe('x'.repeat(5017));
    expect(JSON.parse(String(whole[13]!.event.attributes['journald.rep']))).toEqual(['a', 'b13']);
    for (const size of [1, 2, 3, 7, 9, 64, 1000, 4096, 65536]) {
      const chunked = collect((b) => {
        const p = new ExportParser(b);
        for (let i = 0; i < exported.length; i += size) p.push(exported.subarray(i, i + size));
      });
      expect(comparable(chunked), `chunk size ${size}`).toEqual(comparable(whole));
    }
  });

  it('gives the same entries from JSON output as from export output', () => {
    const fromExport = collect((b) => new ExportParser(b).push(exported));
    const fromJson = collect((b) => {
      const p = new JsonParser(b);
      for (let i = 0; i < json.length; i += 777) p.push(json.subarray(i, i + 777));
    });
    expect(fromJson.length).toBe(N);
    // JSON objects list fields in another order; the mapped attributes are the same
    expect(comparable(fromJson)).toEqual(comparable(fromExport));
  });

  it('keeps field names as they are when lowercase_fields and strip_underscores are off', () => {
    const [e] = collect((b) => new ExportParser(b).push(exported), { lowercaseFields: false, stripUnderscores: false });
    expect(e!.event.attributes).toMatchObject({ 'journald._TRANSPORT': 'journal', 'journald.SEQ': '0', 'journald.__MONOTONIC_TIMESTAMP': '1000' });
  });

  it('refuses a corrupt export stream with a coded error instead of guessing', () => {
    const bad = Buffer.concat([Buffer.from('A=1\nBIN\n'), Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('xy')]);
    let err: unknown;
    try {
      collect((b) => new ExportParser(b).push(bad));
    } catch (e) {
      err = e;
    }
    expect(isFlowlogError(err, 'SOURCE_PARSE')).toBe(true);
  });
});
