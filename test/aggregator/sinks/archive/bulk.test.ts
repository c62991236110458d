// The archive's bulk path (DuckDB read_json over the raw NDJSON values) against the per-record path
// (core/codec.ts decode + the appender): for every input the bulk path either produces exactly the
// rows the per-record path produces, or refuses the batch (and appends nothing). Inputs the per-record
// path dead-letters must always be refused. The agent's own output must take the bulk path.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '../../../../core/codec.js';
import { archiveConfig } from '../../../../aggregator/sinks/archive/config.js';
import { estimateBytes } from '../../../../aggregator/sinks/archive/sink.js';
import { ParquetBuffer } from '../../../../aggregator/sinks/archive/writer.js';
import { decodeValues } from '../../../../aggregator/sources/kafka/consumer.js';
import type { LogEvent } from '../../../../core/event.js';
import type { RawMessages } from '../../../../aggregator/types.js';
import { makeEvent } from '../../helpers.js';

const KAFKA_TS = Date.UTC(2026, 10, 24, 7, 15);
const BASE = Date.UTC(2026, 10, 24, 8);
const ev = (seq: number, patch: Partial<LogEvent> = {}) => encodeEvent({ ...makeEvent(seq, BASE), ...patch });

/** name → message values (each a Kafka message of one batch). */
const CASES: Record<string, (string | Buffer)[]> = {
  agent_ndjson: [Array.from({ length: 64 }, (_, i) => ev(i) + '\n').join(''), Array.from({ length: 3 }, (_, i) => ev(100 + i) + '\n').join('')],
  single_no_newline: [ev(1), ev(2)],
  offset_zone: ['{"timestamp":"2026-11-24T10:00:00.5+02:00","body":"a"}', '{"timestamp":"2026-11-24T10:00:00-05:30","body":"b"}'],
  fraction_digits: ['{"timestamp":"2026-11-24T10:00:00.123Z","body":"a"}\n{"timestamp":"2026-11-24T10:00:00.123456789Z","observed_timestamp":"2026-11-24T10:00:01.000000001Z","body":"b"}\n'],
  no_timestamp: ['{"body":"no ts"}', '{"timestamp":null,"observed_timestamp":null,"body":"null ts"}'],
  far_future_past: [ev(4, { timeMs: Date.UTC(2031, 0, 1) }), ev(5, { timeMs: Date.UTC(2001, 0, 1) })],
  early_year: ['{"timestamp":"0099-01-01T00:00:00Z","body":"old"}'],
  severity_kinds: ['{"body":"a","severity_number":"x","severity_text":5}\n{"body":"b","severity_number":true}\n{"body":"c","severity_number":21,"severity_text":"FATAL"}\n'],
  attributes_kinds: ['{"body":"a","attributes":null}\n{"body":"b","attributes":[1,2]}\n{"body":"c","attributes":{}}\n{"body":"d","attributes":"x"}\n'],
  attribute_values: ['{"body":"a","attributes":{"service.name":"api","n":-12,"b":true,"f":false,"big":123456789012345,"u":"é ü 😀 \u2028","host.name":7}}'],
  partition_values: [
    '{"body":"a","attributes":{"service.name":"a b/c"}}\n{"body":"b","attributes":{"service.name":""}}\n{"body":"c","attributes":{"service.name":".."}}\n' +
      `{"body":"d","attributes":{"service.name":"${'x'.repeat(150)}"}}\n{"body":"e","attributes":{"service.name":"😀ok"}}\n{"body":"f","attributes":{"service.name":true}}\n`,
  ],
  body_unicode_escapes: ['{"body":"tab\\there \\"quoted\\" \\u00e9 \\ud83d\\ude00 \\\\ end"}'],
  whitespace_lines: ['\n  \n{"body":"a"}\r\n\n', '   '],
  unknown_fields: ['{"body":"a","extra":{"x":[1,2,{"y":null}]},"n":1.5}'],
  // the per-record path decides these (refusal or equal rows are both fine)
  body_not_string: ['{"body":12}', '{"body":{"x":1}}', '{"body":null}', '{"timestamp":"2026-11-24T10:00:00Z"}'],
  attr_odd_values: ['{"body":"a","attributes":{"n":null}}', '{"body":"b","attributes":{"f":1.5}}', '{"body":"c","attributes":{"o":{"x":1}}}'],
  attr_odd_keys: ['{"body":"a","attributes":{"z":"1","z":"2"}}', '{"body":"b","attributes":{"b":"1","10":"x"}}', '{"body":"c","attributes":{"__proto__":"x"}}'],
  attr_escapes: ['{"body":"a","attributes":{"k":"say \\"hi\\"\\n"}}', '{"body":"a","attributes":{"k\\u0001":"v"}}'],
  attr_huge_int: ['{"body":"a","attributes":{"n":12345678901234567890}}', '{"body":"b","attributes":{"n":-0}}'],
  lenient_timestamps: ['{"timestamp":"2026-11-24 10:00:00Z","body":"a"}', '{"timestamp":"2026-02-30T10:00:00Z","body":"b"}', '{"timestamp":"2026-11-24T24:00:00Z","body":"c"}'],
  numeric_timestamp: ['{"timestamp":1795500000123.5,"body":"a"}', '{"observed_timestamp":17,"body":"b"}'],
  // the per-record path dead-letters these: the bulk path must refuse them
  not_json: ['this is not json'],
  truncated: [ev(7).slice(0, 40)],
  bad_line_inside: [`${ev(8)}\n{"broken":\n`],
  not_object: ['123', '[1]', 'null', '"x"'],
  lax_json: ['{"body":"a","x":NaN}', '{"body":"a","x":Infinity}', '{"body":"a",}', '{"body":"a","x":[1,]}'],
  invalid_utf8: [Buffer.concat([Buffer.from('{"body":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])],
  lone_surrogate: ['{"body":"\\ud800"}'],
  empty_value: [''],
};

describe('archive bulk path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlog-bulk-'));
  const cfg = archiveConfig.parse({ path: dir, partition_by: [{ attribute: 'service.name', key: 'service' }] });
  let bulk: ParquetBuffer;
  let perRecord: ParquetBuffer;
  beforeAll(async () => {
    bulk = await ParquetBuffer.open(cfg, join(dir, 'a'));
    perRecord = await ParquetBuffer.open(cfg, join(dir, 'b'));
  });
  afterAll(() => {
    bulk.close();
    perRecord.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const norm = (rows: unknown[][]) => JSON.parse(JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));

  for (const [name, values] of Object.entries(CASES)) {
    it(name, async () => {
      const raw: RawMessages = {
        values: values.map((v) => (typeof v === 'string' ? Buffer.from(v) : v)),
        offsets: values.map((_, i) => 100 + i),
        timestamps: values.map(() => KAFKA_TS),
        counted: () => {},
      };
      const events: LogEvent[] = [];
      const offsets: number[] = [];
      const kafkaTimes: number[] = [];
      const dead = decodeValues(raw.values, raw.offsets, raw.timestamps, 't', 3, events, offsets, kafkaTimes);
      perRecord.append(events, { topic: 't', partition: 3, offsets, kafkaTimes }, events.map(estimateBytes));
      const accepted = await bulk.appendRaw([{ topic: 't', partition: 3, raw }]);
      const got = await bulk.dump();
      const want = await perRecord.dump();
      await bulk.clear();
      await perRecord.clear();
      if (dead.length > 0) expect(accepted).toBe(false);
      if (name === 'agent_ndjson' || name === 'single_no_newline') expect(accepted).toBe(true);
      if (accepted) expect(norm(got)).toEqual(norm(want));
      else expect(got).toEqual([]);
    });
  }

  it('loads several batches of different partitions in one go, each row with its own topic, partition and offset', async () => {
    const raw = (offsets: number[]): RawMessages => ({ values: offsets.map((o) => Buffer.from(ev(o) + '\n' + ev(o + 1000))), offsets, timestamps: offsets.map(() => KAFKA_TS), counted: () => {} });
    expect(await bulk.appendRaw([{ topic: 'a', partition: 0, raw: raw([5, 6]) }, { topic: 'b', partition: 2, raw: raw([1]) }, { topic: 'a', partition: 0, raw: raw([7]) }])).toBe(true);
    const rows = await bulk.dump();
    await bulk.clear();
    const k = cfg.columns.length + 7;
    expect(rows.map((r) => [r[k], r[k + 1], r[k + 2]])).toEqual([
      ['a', 0, 5], ['a', 0, 5], ['a', 0, 6], ['a', 0, 6], ['b', 2, 1], ['b', 2, 1], ['a', 0, 7], ['a', 0, 7],
    ]);
  });
});
