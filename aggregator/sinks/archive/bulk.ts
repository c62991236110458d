// The archive's bulk path: a Kafka batch's message values (NDJSON as the agent writes it, one or many
// events per message) go to DuckDB as they are: written to one temporary NDJSON file and parsed by
// DuckDB's `read_json` (multi-threaded C++), then turned into the buffer's rows by one INSERT ... SELECT.
// No event is decoded in JavaScript. It produces exactly the rows the per-record path (core/codec.ts →
// ParquetBuffer.append) produces, or refuses the batch, which then takes the per-record path:
//
// - the SQL accepts only rows whose meaning is unambiguous (string body; timestamps absent, null or
//   strict RFC 3339; severity_number an integer; attribute values strings, booleans or integers within
//   ±2^53 under distinct non-index keys; no backslash escapes in attributes). Any other row raises an
//   error inside the INSERT, which rolls the whole statement back.
// - DuckDB's JSON parser accepts NaN, Infinity and trailing commas, which JSON.parse rejects (those
//   records are dead-lettered by the per-record path): a message containing them is refused up front.
// - a line DuckDB cannot parse fails the read; dead letters need the per-record path's line numbers.
//
// Each line carries its Kafka coordinates: the loader writes `"__flowlog_k":[batch, offset, kafka ts]`
// right after the line's opening brace, so no row depends on the order DuckDB returns them in (marker
// lines plus a window over the row numbers cost a quarter of the statement). A message containing
// the key is refused; a non-blank line that does not start with '{' sends the batch to the per-record
// path (which dead-letters what is not JSON). All of it is one statement.
import { closeSync, openSync, rmSync, writeSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { RawMessages } from '../../types.js';
import type { ArchiveConfig } from './config.js';
import { columnName, NULL_PARTITION } from './partition.js';

/** The key the loader adds to every line: [batch number (1-based), Kafka offset, Kafka timestamp ms]. */
const KEY = '__flowlog_k';
/**
 * Refused up front: what DuckDB accepts but JSON.parse does not (outside strings; inside them it only
 * costs a fallback), and anything looking like the coordinates key (a duplicate key would be ambiguous).
 */
const REFUSE = /NaN|Infinity|,[ \t\r\n]*[}\]]|__flowlog_/;

const q = (id: string) => `"${id.replace(/"/g, '""')}"`;
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The temporary NDJSON file's rows. */
const SQL_SOURCE = (file: string, maxObject: number) => `
  SELECT *
  FROM read_json(${lit(file)}, format = 'newline_delimited', maximum_object_size = ${maxObject},
    columns = {${KEY}: 'BIGINT[]', timestamp: 'VARCHAR', observed_timestamp: 'VARCHAR',
               severity_text: 'JSON', severity_number: 'JSON', body: 'JSON', attributes: 'JSON'})`;

// RFC 3339 as the bulk path reads it (anything else takes the per-record path)
const RFC3339 = String.raw`\d{4}-\d\d-\d\dT([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)`;
// Attributes as DuckDB re-serializes them (minified) whose values are strings, booleans or integers
// of at most 15 digits; no backslash is allowed, so a '"' always delimits a string.
const SIMPLE_OBJECT = String.raw`\{("[^"]*":("[^"]*"|true|false|-?[1-9][0-9]{0,14}|0)(,"[^"]*":("[^"]*"|true|false|-?[1-9][0-9]{0,14}|0))*)?\}`;
// keys JavaScript objects order differently (array indexes) or treat specially
const ODD_KEY = String.raw`[{,]"(0|[1-9][0-9]*|__proto__)":`;

const SQL_MACROS = `
  CREATE OR REPLACE TEMP MACRO flowlog_frac9(s, zlen) AS
    CASE WHEN substr(s, 20, 1) = '.' THEN rpad(substr(s, 21, length(s) - 20 - zlen), 9, '0') ELSE '000000000' END;
  CREATE OR REPLACE TEMP MACRO flowlog_zone_us(s) AS
    CASE WHEN right(s, 1) = 'Z' THEN 0
         ELSE (CASE WHEN substr(s, -6, 1) = '-' THEN -1 ELSE 1 END)
              * (CAST(substr(s, -5, 2) AS BIGINT) * 60 + CAST(substr(s, -2, 2) AS BIGINT)) * 60000000 END;
  -- [µs since the epoch, ns within the µs] of a string matching RFC3339 (µs NULL when no such day)
  -- (the common form, 9 fraction digits and Z as the agent writes it, without the string work)
  CREATE OR REPLACE TEMP MACRO flowlog_ts_us(s) AS
    epoch_us(TRY_CAST(substr(s, 1, 19) AS TIMESTAMP))
    + CASE WHEN length(s) = 30 AND right(s, 1) = 'Z' THEN CAST(substr(s, 21, 6) AS BIGINT)
           ELSE CAST(substr(flowlog_frac9(s, CASE WHEN right(s, 1) = 'Z' THEN 1 ELSE 6 END), 1, 6) AS BIGINT) - flowlog_zone_us(s) END;
  CREATE OR REPLACE TEMP MACRO flowlog_ts_ns(s) AS
    CASE WHEN length(s) = 30 AND right(s, 1) = 'Z' THEN CAST(substr(s, 27, 3) AS INTEGER)
         ELSE CAST(substr(flowlog_frac9(s, CASE WHEN right(s, 1) = 'Z' THEN 1 ELSE 6 END), 7, 3) AS INTEGER) END;
  CREATE OR REPLACE TEMP MACRO flowlog_attrs_ok(a, keys) AS
    a IS NULL OR (NOT contains(a::VARCHAR, '\\') AND regexp_full_match(a::VARCHAR, ${lit(SIMPLE_OBJECT)})
                  AND NOT regexp_matches(a::VARCHAR, ${lit(ODD_KEY)})
                  AND len(list_distinct(keys)) = len(keys));
  CREATE OR REPLACE TEMP MACRO flowlog_pv_clean(v) AS
    left(regexp_replace(regexp_replace(v, '[\\x{10000}-\\x{10FFFF}]', '__', 'g'), '[^A-Za-z0-9._-]', '_', 'g'), 100);
  CREATE OR REPLACE TEMP MACRO flowlog_dt(ms) AS
    lpad(year(make_timestamp(least(greatest(ms, -62167219200000), 253402300799999) * 1000))::VARCHAR, 4, '0')
    || strftime(make_timestamp(least(greatest(ms, -62167219200000), 253402300799999) * 1000), '-%m-%d|%H')`;


/** One Kafka partition's batch. */
export interface RawBatch {
  topic: string;
  partition: number;
  raw: RawMessages;
}

export class BulkLoader {
  private seq = 0;
  private ready = false;
  private readonly insertSql: string;

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly cfg: ArchiveConfig,
    private readonly tmpDir: string,
  ) {
    this.insertSql = buildInsert(cfg);
  }

  /** Whether the configuration lets the bulk path produce the same rows (attribute names usable as JSON paths). */
  static supports(cfg: ArchiveConfig): boolean {
    return [...cfg.columns, ...cfg.partition_by.map((p) => p.attribute)].every((a) => !/["\\']/.test(a));
  }

  /**
   * Appends all messages of the given batches (several batches make one statement: DuckDB parallelises
   * per row group of ~122k rows, so small statements leave a core idle). Returns the rows appended,
   * or null when they must take the per-record path (nothing was appended then).
   */
  async load(batches: RawBatch[]): Promise<number | null> {
    const maxLine = (this.cfg.max_record_bytes - 128) / 1.5; // a line this long may estimate above max_record_bytes
    const parts: Buffer[] = [];
    let messages = 0;
    for (let b = 0; b < batches.length; b++) {
      const raw = batches[b]!.raw;
      for (let i = 0; i < raw.values.length; i++) {
        const v = raw.values[i]!;
        if (v.length === 0 || v.length > maxLine || REFUSE.test(v.toString('latin1'))) return null;
        const prefix = Buffer.from(`{"${KEY}":[${b + 1},${raw.offsets[i]},${Math.trunc(raw.timestamps[i]!)}]`);
        if (!withCoordinates(v, prefix, parts)) return null;
        messages++;
      }
    }
    if (messages === 0) return 0;
    if (!this.ready) {
      await this.conn.run(SQL_MACROS);
      this.ready = true;
    }
    const file = join(this.tmpDir, `bulk-${this.seq++}.ndjson`);
    try {
      writeAll(file, parts);
    } catch {
      // e.g. a full disk: the per-record path buffers in memory (and the flush reports the disk)
      rmSync(file, { force: true });
      return null;
    }
    try {
      let maxObject = 16 * 1024 * 1024;
      for (const p of parts) if (p.length > maxObject) maxObject = p.length + 1;
      const topics = `[${batches.map((b) => lit(b.topic)).join(', ')}]`;
      const partitions = `[${batches.map((b) => Math.trunc(b.partition)).join(', ')}]::INTEGER[]`;
      const sql = this.insertSql.replace('$source', SQL_SOURCE(file, maxObject)).replace('$topics', topics).replace('$partitions', partitions);
      const r = await this.conn.run(sql);
      return Number(r.rowsChanged);
    } catch {
      // a line DuckDB cannot parse (the per-record path finds and dead-letters it), a row outside what
      // the bulk path reproduces exactly, or a row without coordinates: the statement rolled back
      return null;
    } finally {
      rmSync(file, { force: true });
    }
  }
}

const NEWLINE = Buffer.from('\n');
const COMMA = Buffer.from(',');
const NOTHING = Buffer.alloc(0);

/**
 * Appends the lines of one message value to `parts`, each object line with `prefix` (`{"key":[...]`)
 * in place of its opening brace. Blank lines pass unchanged. False when a line is neither.
 */
function withCoordinates(v: Buffer, prefix: Buffer, parts: Buffer[]): boolean {
  let start = 0;
  while (start < v.length) {
    let nl = v.indexOf(10, start);
    if (nl < 0) nl = v.length;
    if (v[start] === 123) {
      // '{}' takes the key alone; anything else gets a comma before its first member
      parts.push(prefix, v[start + 1] === 125 ? NOTHING : COMMA, v.subarray(start + 1, nl), NEWLINE);
    } else {
      for (let k = start; k < nl; k++) {
        const c = v[k];
        if (c !== 32 && c !== 9 && c !== 13) return false;
      }
      parts.push(v.subarray(start, nl), NEWLINE);
    }
    start = nl + 1;
  }
  return true;
}

function writeAll(file: string, parts: Buffer[]): void {
  const fd = openSync(file, 'w', 0o600);
  try {
    for (let i = 0; i < parts.length; i += 1000) {
      const chunk = parts.slice(i, i + 1000);
      let want = 0;
      for (const p of chunk) want += p.length;
      let done = writevSync(fd, chunk);
      if (done < want) {
        // a short write (rare for regular files): finish the rest
        const all = Buffer.concat(chunk);
        while (done < want) done += writeSync(fd, all, done);
      }
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * INSERT INTO buf (the ParquetBuffer's table, same column order) from $source (SQL_SOURCE); $topics and
 * $partitions are list literals indexed by the markers' part. Markers must come in (part, offset) order.
 */
function buildInsert(cfg: ArchiveConfig): string {
  const paths = `[${cfg.columns.map((a) => lit(`$."${a}"`)).join(', ')}]`;
  const partPaths = `[${cfg.partition_by.map((p) => lit(`$."${p.attribute}"`)).join(', ')}]`;
  const patch = lit(JSON.stringify(Object.fromEntries(cfg.columns.map((a) => [a, null]))));
  const notSimple = "error('flowlog bulk: a record the bulk path does not reproduce')";
  return `
  INSERT INTO buf
  WITH m AS (
    SELECT ${KEY}[2] AS k_off, ${KEY}[3] AS k_ts, ${KEY}[1] AS k_part,
      timestamp AS ts, observed_timestamp AS ots,
      severity_text, severity_number, json_type(severity_number) AS sn_t, body,
      CASE WHEN json_type(attributes) = 'OBJECT' THEN attributes END AS a
    FROM ($source)
  ), p AS (
    SELECT *,
      regexp_full_match(ts, ${lit(RFC3339)}) AS ts_ok,
      ots <> ts AND regexp_full_match(ots, ${lit(RFC3339)}) AS ots_ok,
      json_keys(a) AS keys,
      CASE WHEN sn_t IS NULL OR sn_t NOT IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN 0 WHEN sn_t <> 'DOUBLE' THEN TRY_CAST(severity_number->>'$' AS INTEGER) END AS sn,
      ${cfg.columns.length ? `json_extract_string(a, ${paths})` : 'NULL::VARCHAR[]'} AS cols,
      ${cfg.partition_by.length ? `json_extract_string(a, ${partPaths})` : 'NULL::VARCHAR[]'} AS parts
    FROM m
    WHERE CASE WHEN k_off IS NOT NULL AND k_ts IS NOT NULL AND k_part IS NOT NULL THEN true
               ELSE error('flowlog bulk: a row without its Kafka coordinates') END
  ), e AS (
    SELECT *,
      CASE WHEN ts IS NULL THEN k_ts * 1000 WHEN ts_ok THEN flowlog_ts_us(ts) END AS t_us,
      CASE WHEN ts IS NULL THEN 0 WHEN ts_ok THEN flowlog_ts_ns(ts) END AS t_ns
    FROM p
  ), f AS (
    SELECT *,
      CASE WHEN ots IS NULL OR ots = ts THEN t_us WHEN ots_ok THEN flowlog_ts_us(ots) END AS o_us,
      CAST(floor(t_us / 1000) AS BIGINT) AS t_ms
    FROM e
  ), g AS (
    SELECT *,
      CASE WHEN k_ts > 0 AND (t_ms < k_ts - ${cfg.max_past_ms} OR t_ms > k_ts + ${cfg.max_future_ms}) THEN flowlog_dt(k_ts)
           WHEN ts_ok AND right(ts, 1) = 'Z' THEN substr(ts, 1, 10) || '|' || substr(ts, 12, 2)
           ELSE flowlog_dt(t_ms) END AS dh,
      CASE WHEN a IS NOT NULL THEN json_merge_patch(a, ${patch})::VARCHAR END AS rest
      ${cfg.partition_by.map((_, i) => `, flowlog_pv_clean(parts[${i + 1}]) AS pv${i}`).join('')}
    FROM f
    WHERE CASE WHEN t_us IS NOT NULL AND sn IS NOT NULL AND json_type(body) = 'VARCHAR' AND flowlog_attrs_ok(a, keys) THEN true ELSE ${notSimple} END
  )
  SELECT
    t_us::DOUBLE, t_ns, o_us::DOUBLE, CASE WHEN json_type(severity_text) = 'VARCHAR' THEN severity_text->>'$' ELSE '' END, sn, body->>'$',
    ${cfg.columns.map((c, i) => `cols[${i + 1}] AS ${q(columnName(c))}, `).join('')}
    nullif(rest, '{}'),
    ($topics)[k_part], ($partitions)[k_part], k_off::DOUBLE, substr(dh, 1, length(dh) - 3), right(dh, 2)
    ${cfg.partition_by.map((_, i) => `, CASE WHEN pv${i} IS NULL OR pv${i} IN ('', '.', '..') THEN '${NULL_PARTITION}' ELSE pv${i} END`).join('')}
  FROM g WHERE o_us IS NOT NULL OR ${notSimple}`;
}
