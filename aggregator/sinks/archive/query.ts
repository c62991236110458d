// Reading the archive back: the catalog prunes files by time range, DuckDB scans the survivors
// (a chunk of files at a time, so a long scan reports progress and stops early at --limit), and each
// row is turned back into a LogEvent (known columns → attributes; the `attributes` JSON merged in).
import type { DuckDBConnection } from '@duckdb/node-api';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { LogEvent, Attributes } from '../../../core/event.js';
import { FlowlogError } from '../../../core/errors.js';
import { Catalog } from './catalog.js';
import { DEFAULT_COLUMNS } from './config.js';
import { columnName } from './partition.js';
import { loadDuckDB } from './writer.js';

export interface QueryFile {
  /** Local path to read. */
  local: string;
  bytes: number;
}

export interface QueryOptions {
  fromMs: number;
  toMs: number;
  /** A DuckDB SQL boolean expression over the archive's columns (docs/archive.md). */
  where?: string;
  limit?: number;
  /** Files per DuckDB scan (progress granularity). */
  chunkFiles?: number;
  onProgress?: (p: { files: number; totalFiles: number; bytes: number; totalBytes: number; rows: number }) => void;
}

export interface ArchiveRow {
  event: LogEvent;
  /** Raw column values (partition keys included). */
  columns: Record<string, unknown>;
}

/** Files of a local archive whose catalogued time range overlaps [fromMs, toMs), oldest first. */
export function localFiles(dir: string, fromMs: number, toMs: number, catalogPath?: string): { files: QueryFile[]; columns: Record<string, string> } {
  const catalog = new Catalog(catalogPath ?? join(dir, '_flowlog', 'catalog.sqlite'), { readonly: true });
  try {
    const files = catalog.filesInRange(fromMs * 1000, toMs * 1000).map((f) => ({ local: join(dir, f.path), bytes: f.bytes }));
    const cols = catalog.meta('columns');
    return { files, columns: cols ? JSON.parse(cols) : defaultColumnMap() };
  } finally {
    catalog.close();
  }
}

export function defaultColumnMap(): Record<string, string> {
  return Object.fromEntries(DEFAULT_COLUMNS.map((a) => [columnName(a), a]));
}

const BASE_COLUMNS = new Set(['time', 'time_nanos', 'observed_time', 'severity_text', 'severity_number', 'body', 'attributes', 'kafka_topic', 'kafka_partition', 'kafka_offset', 'dt', 'hour']);

export async function* queryArchive(files: QueryFile[], columnMap: Record<string, string>, opts: QueryOptions): AsyncGenerator<ArchiveRow> {
  if (!(opts.toMs > opts.fromMs)) throw new FlowlogError('ARCHIVE_QUERY', '--to must be after --from');
  const db = await (await loadDuckDB()).DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', threads: '2' });
  const conn: DuckDBConnection = await db.connect();
  try {
    const chunk = opts.chunkFiles ?? 32;
    const totalBytes = files.reduce((n, f) => n + f.bytes, 0);
    let bytes = 0;
    let rows = 0;
    const limit = opts.limit ?? Infinity;
    for (let i = 0; i < files.length && rows < limit; i += chunk) {
      const part = files.slice(i, i + chunk);
      const list = part.map((f) => `'${f.local.replace(/'/g, "''")}'`).join(', ');
      const where = opts.where ? ` AND (${opts.where})` : '';
      const lim = Number.isFinite(limit) ? ` LIMIT ${limit - rows}` : '';
      let reader;
      try {
        reader = await conn.runAndReadAll(
          `SELECT epoch_us(time) AS time_us, epoch_us(observed_time) AS observed_us, * EXCLUDE (time, observed_time)
           FROM read_parquet([${list}], hive_partitioning = true, union_by_name = true)
           WHERE time >= make_timestamp(${Math.floor(opts.fromMs) * 1000}::BIGINT)::TIMESTAMPTZ
             AND time < make_timestamp(${Math.floor(opts.toMs) * 1000}::BIGINT)::TIMESTAMPTZ${where}
           ORDER BY time, time_nanos${lim}`,
        );
      } catch (e) {
        throw new FlowlogError('ARCHIVE_QUERY', 'query failed (check --where)', { cause: e });
      }
      for (const r of reader.getRowObjectsJS()) {
        rows++;
        yield { event: rowToEvent(r, columnMap), columns: r };
      }
      bytes += part.reduce((n, f) => n + f.bytes, 0);
      opts.onProgress?.({ files: Math.min(files.length, i + chunk), totalFiles: files.length, bytes, totalBytes, rows });
    }
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

export function rowToEvent(r: Record<string, unknown>, columnMap: Record<string, string>): LogEvent {
  const us = Number(r.time_us);
  const ous = Number(r.observed_us ?? r.time_us);
  const attributes: Attributes = {};
  for (const [col, attr] of Object.entries(columnMap)) {
    const v = r[col];
    if (v !== null && v !== undefined && !BASE_COLUMNS.has(col)) attributes[attr] = String(v);
  }
  if (typeof r.attributes === 'string' && r.attributes) {
    try {
      Object.assign(attributes, JSON.parse(r.attributes) as Attributes);
    } catch {
      attributes['flowlog.archive.attributes'] = r.attributes;
    }
  }
  return {
    timeMs: Math.floor(us / 1000),
    timeNs: (us % 1000) * 1000 + Number(r.time_nanos ?? 0),
    observedMs: Math.floor(ous / 1000),
    observedNs: (ous % 1000) * 1000,
    severityText: String(r.severity_text ?? ''),
    severityNumber: Number(r.severity_number ?? 0),
    body: String(r.body ?? ''),
    attributes,
  };
}

export function fileSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}
