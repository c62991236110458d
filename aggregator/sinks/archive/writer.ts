// The Parquet writer: records are appended to an in-memory DuckDB table as they arrive (the cost is
// spread over the batches), and a flush writes every buffered Hive partition at once with DuckDB's
// `COPY ... (FORMAT parquet, PARTITION_BY ...)` into a staging directory. Chosen after measuring
// (docs/benchmarks.md, shared notes): DuckDB's appender + COPY ran 77-118k events/s with zstd at
// 11.6x compression, about twice hyparquet-writer, and DuckDB is also the query engine.
//
// Columns (the contract in docs/archive.md): time TIMESTAMPTZ (INT64 µs, UTC), time_nanos INTEGER
// (ns within the µs), observed_time TIMESTAMPTZ, severity_text, severity_number, body, one VARCHAR per
// configured attribute, attributes (JSON object of the other attributes), kafka_topic,
// kafka_partition, kafka_offset; dt, hour and the partition_by columns live in the path.
import type { DuckDBInstance, DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { LogEvent } from '../../../core/event.js';
import { FlowlogError } from '../../../core/errors.js';
import type { KafkaOrigin } from '../../types.js';
import type { ArchiveConfig } from './config.js';
import type { FileEntry } from './catalog.js';
import { bucketTimeMs, columnName, dtHour, partitionValue } from './partition.js';
import { BulkLoader, type RawBatch } from './bulk.js';

/** DuckDB's native library (~100 MB mapped) loads only when an archive is written or queried, not in every flowlog process. */
export const loadDuckDB = () => import('@duckdb/node-api');

export interface StagedFile extends Omit<FileEntry, 'staging'> {
  /** Absolute path of the staged file. */
  stagedAt: string;
}

const q = (id: string) => `"${id.replace(/"/g, '""')}"`;

export class ParquetBuffer {
  private appender!: DuckDBAppender;
  rows = 0;
  bytes = 0;
  /** Milliseconds spent in the last flush's COPY and statistics query (for logs and the bench). */
  readonly timings = { copy: 0, stats: 0 };
  oldestMs = 0;
  private readonly attrCols: string[];
  private readonly attrSet: Set<string>;
  private readonly partCols: string[];

  private constructor(
    private readonly cfg: ArchiveConfig,
    private readonly db: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {
    this.attrSet = new Set(cfg.columns);
    this.attrCols = cfg.columns.map(columnName);
    this.partCols = cfg.partition_by.map((p) => p.key);
  }

  static async open(cfg: ArchiveConfig, tmpDir: string): Promise<ParquetBuffer> {
    mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
    const db = await (await loadDuckDB()).DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      memory_limit: cfg.memory_limit,
      threads: String(cfg.threads),
      temp_directory: tmpDir,
      // the bulk path numbers read_json's rows in file order
      preserve_insertion_order: 'true',
    });
    const conn = await db.connect();
    const b = new ParquetBuffer(cfg, db, conn);
    const dupes = b.partCols.filter((c) => ['dt', 'hour', ...b.attrCols].includes(c));
    if (dupes.length) throw new FlowlogError('CONFIG_INVALID', `archive partition_by key ${dupes[0]} is also a column name; give it another key: {attribute: ..., key: ...}`);
    const cols = [
      'time_us DOUBLE',
      'time_nanos INTEGER',
      'observed_us DOUBLE',
      'severity_text VARCHAR',
      'severity_number INTEGER',
      'body VARCHAR',
      ...b.attrCols.map((c) => `${q(c)} VARCHAR`),
      'attributes VARCHAR',
      'kafka_topic VARCHAR',
      'kafka_partition INTEGER',
      'kafka_offset DOUBLE',
      'dt VARCHAR',
      'hour VARCHAR',
      ...b.partCols.map((c) => `${q('p_' + c)} VARCHAR`),
    ];
    await conn.run(`CREATE TABLE buf (${cols.join(', ')})`);
    b.appender = await conn.createAppender('buf');
    if (BulkLoader.supports(cfg)) b.bulk = new BulkLoader(conn, cfg, tmpDir);
    return b;
  }

  private bulk?: BulkLoader;

  /**
   * Appends whole Kafka batches in bulk (bulk.ts). False when they must take the per-record path
   * instead (nothing was appended then).
   */
  async appendRaw(batches: RawBatch[]): Promise<boolean> {
    if (!this.bulk) return false;
    this.appender.flushSync();
    const n = await this.bulk.load(batches);
    if (n === null) return false;
    if (n > 0 && this.rows === 0) this.oldestMs = Date.now();
    this.rows += n;
    for (const b of batches) for (const v of b.raw.values) this.bytes += v.length;
    return true;
  }

  /** Appends events (all from one Kafka partition when `origin` is set), skipping indexes in `skip`. */
  append(events: LogEvent[], origin: KafkaOrigin | undefined, perEventBytes: number[], skip?: (i: number) => boolean): void {
    const a = this.appender;
    const cfg = this.cfg;
    for (let i = 0; i < events.length; i++) {
      if (skip?.(i)) continue;
      const e = events[i]!;
      const nsTotal = e.timeNs;
      a.appendDouble(e.timeMs * 1000 + Math.floor(nsTotal / 1000));
      a.appendInteger(nsTotal % 1000);
      a.appendDouble(e.observedMs * 1000 + Math.floor(e.observedNs / 1000));
      a.appendVarchar(e.severityText);
      a.appendInteger(e.severityNumber);
      a.appendVarchar(e.body);
      const attrs = e.attributes;
      for (let c = 0; c < cfg.columns.length; c++) {
        const v = attrs[cfg.columns[c]!];
        if (v === undefined) a.appendNull();
        else a.appendVarchar(typeof v === 'string' ? v : String(v));
      }
      let rest: string | null = null;
      for (const k in attrs) {
        if (this.attrSet.has(k)) continue;
        rest = rest === null ? '{' : rest + ',';
        rest += JSON.stringify(k) + ':' + JSON.stringify(attrs[k]);
      }
      if (rest === null) a.appendNull();
      else a.appendVarchar(rest + '}');
      if (origin) {
        a.appendVarchar(origin.topic);
        a.appendInteger(origin.partition);
        a.appendDouble(origin.offsets[i]!);
      } else {
        a.appendNull();
        a.appendNull();
        a.appendNull();
      }
      const [dt, hour] = dtHour(bucketTimeMs(e.timeMs, origin?.kafkaTimes?.[i], cfg.max_past_ms, cfg.max_future_ms));
      a.appendVarchar(dt);
      a.appendVarchar(hour);
      for (const p of cfg.partition_by) a.appendVarchar(partitionValue(attrs[p.attribute]));
      a.endRow();
      if (this.rows === 0) this.oldestMs = Date.now();
      this.rows++;
      this.bytes += perEventBytes[i] ?? 0;
    }
  }

  /** Deletes buffered rows of a Kafka partition below `next` (already archived by another process or run). */
  async dropBelow(topic: string, partition: number, next: number): Promise<void> {
    this.appender.flushSync();
    await this.conn.run('DELETE FROM buf WHERE kafka_topic = $1 AND kafka_partition = $2 AND kafka_offset < $3', [topic, partition, next]);
  }

  async kafkaPartitions(): Promise<{ topic: string; partition: number; max: number }[]> {
    this.appender.flushSync();
    const r = await this.conn.runAndReadAll(
      'SELECT kafka_topic, kafka_partition, max(kafka_offset)::BIGINT FROM buf WHERE kafka_topic IS NOT NULL GROUP BY ALL',
    );
    return r.getRowsJS().map((row) => ({ topic: row[0] as string, partition: Number(row[1]), max: Number(row[2]) }));
  }

  /** Writes every buffered partition to `dir` (staging) as part-<flushId>-<n>.parquet; returns what it wrote. */
  async writeStaged(dir: string, flushId: string): Promise<StagedFile[]> {
    this.appender.flushSync();
    const count = Number((await this.conn.runAndReadAll('SELECT count(*) FROM buf')).getRowsJS()[0]![0]);
    if (count === 0) return [];
    const parts = ['dt', 'hour', ...this.partCols.map((c) => q('p_' + c))];
    const select = [
      'make_timestamp(time_us::BIGINT)::TIMESTAMPTZ AS time',
      'time_nanos',
      'make_timestamp(observed_us::BIGINT)::TIMESTAMPTZ AS observed_time',
      'severity_text',
      'severity_number',
      'body',
      ...this.attrCols.map(q),
      'attributes',
      'kafka_topic',
      'kafka_partition',
      'kafka_offset::BIGINT AS kafka_offset',
      'dt',
      'hour',
      ...this.partCols.map((c) => `${q('p_' + c)} AS ${q(c)}`),
    ];
    const pby = ['dt', 'hour', ...this.partCols.map(q)].join(', ');
    const comp = this.cfg.compression;
    const level = comp === 'zstd' ? `, COMPRESSION_LEVEL ${this.cfg.compression_level}` : '';
    const target = dir.replace(/'/g, "''");
    const t0 = performance.now();
    await this.conn.run(
      `COPY (SELECT ${select.join(', ')} FROM buf ORDER BY ${parts.join(', ')}, time_us) TO '${target}'
       (FORMAT parquet, COMPRESSION ${comp}${level}, ROW_GROUP_SIZE ${this.cfg.row_group_size}, PARTITION_BY (${pby}),
        FILENAME_PATTERN 'part-${flushId}-{i}', OVERWRITE_OR_IGNORE true)`,
    );
    this.timings.copy = performance.now() - t0;
    // per Hive partition and Kafka partition: time range, records and offsets, to catalog each file
    const t1 = performance.now();
    const stats = await this.conn.runAndReadAll(
      `SELECT ${parts.join(', ')}, kafka_topic, kafka_partition, min(time_us)::BIGINT, max(time_us)::BIGINT, count(*)::BIGINT,
              min(kafka_offset)::BIGINT, max(kafka_offset)::BIGINT
       FROM buf GROUP BY ALL`,
    );
    const byDir = new Map<string, { dt: string; hour: string; pv: Record<string, string>; min: number; max: number; n: number; offs: Record<string, [number, number]> }>();
    for (const row of stats.getRowsJS()) {
      const pv: Record<string, string> = {};
      this.partCols.forEach((c, i) => (pv[c] = row[2 + i] as string));
      const k = 2 + this.partCols.length;
      const rel = [`dt=${row[0]}`, `hour=${row[1]}`, ...this.partCols.map((c) => `${c}=${pv[c]}`)].join('/');
      let s = byDir.get(rel);
      if (!s) byDir.set(rel, (s = { dt: row[0] as string, hour: row[1] as string, pv, min: Infinity, max: -Infinity, n: 0, offs: {} }));
      s.min = Math.min(s.min, Number(row[k + 2]));
      s.max = Math.max(s.max, Number(row[k + 3]));
      s.n += Number(row[k + 4]);
      if (row[k] !== null) s.offs[`${row[k]}/${row[k + 1]}`] = [Number(row[k + 5]), Number(row[k + 6])];
    }
    this.timings.stats = performance.now() - t1;
    const out: StagedFile[] = [];
    for (const file of walk(dir)) {
      const rel = relative(dir, file);
      const d = rel.slice(0, rel.lastIndexOf('/'));
      const s = byDir.get(d);
      if (!s) throw new FlowlogError('INTERNAL', `archive: DuckDB wrote ${rel}, which matches no buffered partition`);
      const files = [...walk(join(dir, d))].length;
      if (files !== 1) throw new FlowlogError('INTERNAL', `archive: expected one file per partition in ${d}, found ${files}`);
      out.push({
        stagedAt: file,
        path: rel,
        dt: s.dt,
        hour: s.hour,
        partitionValues: s.pv,
        minTimeUs: s.min,
        maxTimeUs: s.max,
        records: s.n,
        bytes: statSync(file).size,
        kafkaOffsets: s.offs,
      });
    }
    return out;
  }

  /** The buffered rows in insertion order, as JS values (tests compare the bulk and per-record paths with it). */
  async dump(): Promise<unknown[][]> {
    this.appender.flushSync();
    return (await this.conn.runAndReadAll('SELECT * FROM buf')).getRowsJS();
  }

  async clear(): Promise<void> {
    this.appender.flushSync();
    this.appender.closeSync();
    await this.conn.run('DELETE FROM buf');
    this.appender = await this.conn.createAppender('buf');
    this.rows = 0;
    this.bytes = 0;
    this.oldestMs = 0;
  }

  close(): void {
    try {
      this.appender.closeSync();
    } catch {
      /* already closed */
    }
    this.conn.closeSync();
    this.db.closeSync();
  }
}

function* walk(dir: string): Generator<string> {
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) yield* walk(p);
    else if (ent.name.endsWith('.parquet')) yield p;
  }
}
