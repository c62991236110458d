// The archive catalog (SQLite): one row per Parquet file (path, time range, record count, partition
// values, Kafka offsets covered) for query pruning, and per Kafka partition the next offset not yet
// archived, for exactly-once across restarts and between processes sharing the partitions.
//
// Publishing protocol (sink.ts): files are written to a staging name, then ONE transaction inserts them
// as 'pending' and moves the partitions' next offsets; then each file is published (renamed / uploaded)
// and marked 'done'. On start, pending files are published again from staging (roll forward) and any
// other staging file is deleted: no reader sees a half file, no record is archived twice.
import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { FlowlogError } from '../../../core/errors.js';

const MIGRATIONS: string[] = [
  // 1: files and offsets
  `CREATE TABLE files (
     id INTEGER PRIMARY KEY,
     path TEXT NOT NULL UNIQUE,
     staging TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
     dt TEXT NOT NULL,
     hour TEXT NOT NULL,
     partition_values TEXT NOT NULL,
     min_time_us INTEGER NOT NULL,
     max_time_us INTEGER NOT NULL,
     records INTEGER NOT NULL,
     bytes INTEGER NOT NULL,
     kafka_offsets TEXT NOT NULL,
     created_ms INTEGER NOT NULL
   );
   CREATE INDEX files_time ON files (min_time_us, max_time_us);
   CREATE TABLE offsets (
     topic TEXT NOT NULL,
     partition INTEGER NOT NULL,
     next_offset INTEGER NOT NULL,
     PRIMARY KEY (topic, partition)
   );`,
  // 2: archive facts readers need (which column holds which attribute)
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
];

const SQL = {
  getNext: 'SELECT next_offset FROM offsets WHERE topic = ? AND partition = ?',
  allNext: 'SELECT topic, partition, next_offset FROM offsets',
  upsertNext: `INSERT INTO offsets (topic, partition, next_offset) VALUES (?, ?, ?)
               ON CONFLICT (topic, partition) DO UPDATE SET next_offset = max(next_offset, excluded.next_offset)`,
  insertFile: `INSERT INTO files (path, staging, state, dt, hour, partition_values, min_time_us, max_time_us, records, bytes, kafka_offsets, created_ms)
               VALUES (@path, @staging, 'pending', @dt, @hour, @partition_values, @min_time_us, @max_time_us, @records, @bytes, @kafka_offsets, @created_ms)`,
  markDone: "UPDATE files SET state = 'done' WHERE path = ?",
  pending: "SELECT path, staging FROM files WHERE state = 'pending'",
  range: `SELECT path, min_time_us, max_time_us, records, bytes, partition_values FROM files
          WHERE state = 'done' AND max_time_us >= ? AND min_time_us < ? ORDER BY min_time_us, path`,
  getMeta: 'SELECT value FROM meta WHERE key = ?',
  setMeta: 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  totals: "SELECT count(*) AS files, coalesce(sum(records), 0) AS records, coalesce(sum(bytes), 0) AS bytes FROM files WHERE state = 'done'",
} as const;

export interface FileEntry {
  path: string;
  staging: string;
  dt: string;
  hour: string;
  partitionValues: Record<string, string>;
  minTimeUs: number;
  maxTimeUs: number;
  records: number;
  bytes: number;
  /** "topic/partition" → [first offset, last offset] of the records in the file. */
  kafkaOffsets: Record<string, [number, number]>;
}

export interface CatalogFile {
  path: string;
  min_time_us: number;
  max_time_us: number;
  records: number;
  bytes: number;
  partition_values: string;
}

export class Catalog {
  readonly db: Database.Database;

  constructor(file: string, opts: { readonly?: boolean } = {}) {
    if (opts.readonly) {
      if (!existsSync(file)) throw new FlowlogError('ARCHIVE_QUERY', `no archive catalog at ${file}`);
      this.db = new Database(file, { readonly: true, fileMustExist: true });
      this.db.pragma('busy_timeout = 10000');
      return;
    }
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    try {
      this.db = new Database(file);
      chmodSync(file, 0o600);
    } catch (e) {
      throw new FlowlogError('ARCHIVE_IO', `cannot open the archive catalog ${file}: ${(e as Error).message}`, { cause: e });
    }
    // several aggregators open one catalog at once: wait for each other's locks from the first statement
    this.db.pragma('busy_timeout = 30000');
    this.setWal();
    this.db.pragma('synchronous = FULL');
    this.migrate();
  }

  /**
   * Switching to WAL needs a moment alone with the file, and SQLite answers SQLITE_BUSY at once
   * (without waiting out busy_timeout) while another process opens it: retry for up to 30 s.
   */
  private setWal(): void {
    const until = Date.now() + 30_000;
    for (;;) {
      try {
        this.db.pragma('journal_mode = WAL');
        return;
      } catch (e) {
        if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > until) throw e;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5 + Math.random() * 20);
      }
    }
  }

  /** Each migration runs under the write lock and re-reads the version there: another process may have just applied it. */
  private migrate(): void {
    // read outside the lock first: an up-to-date catalog (every open after the first) takes no lock here
    const start = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = start; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        if ((this.db.pragma('user_version', { simple: true }) as number) !== v) return;
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      }).immediate();
    }
  }

  nextOffset(topic: string, partition: number): number {
    const r = this.db.prepare(SQL.getNext).get(topic, partition) as { next_offset: number } | undefined;
    return r?.next_offset ?? 0;
  }

  allNextOffsets(): { topic: string; partition: number; next_offset: number }[] {
    return this.db.prepare(SQL.allNext).all() as { topic: string; partition: number; next_offset: number }[];
  }

  /**
   * Runs `fn` holding the catalog's write lock (BEGIN IMMEDIATE): other processes' flushes wait, so the
   * offsets read inside stay true until `fn`'s files and offsets are committed together.
   */
  async withWriteLock<T>(fn: (tx: CatalogTx) => Promise<T>): Promise<T> {
    for (;;) {
      try {
        this.db.exec('BEGIN IMMEDIATE');
        break;
      } catch (e) {
        if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    try {
      const tx: CatalogTx = {
        nextOffset: (t, p) => this.nextOffset(t, p),
        addFile: (f) =>
          void this.db.prepare(SQL.insertFile).run({
            path: f.path,
            staging: f.staging,
            dt: f.dt,
            hour: f.hour,
            partition_values: JSON.stringify(f.partitionValues),
            min_time_us: f.minTimeUs,
            max_time_us: f.maxTimeUs,
            records: f.records,
            bytes: f.bytes,
            kafka_offsets: JSON.stringify(f.kafkaOffsets),
            created_ms: Date.now(),
          }),
        setNextOffset: (t, p, o) => void this.db.prepare(SQL.upsertNext).run(t, p, o),
      };
      const out = await fn(tx);
      this.db.exec('COMMIT');
      return out;
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw e;
    }
  }

  markDone(path: string): void {
    this.db.prepare(SQL.markDone).run(path);
  }

  pending(): { path: string; staging: string }[] {
    return this.db.prepare(SQL.pending).all() as { path: string; staging: string }[];
  }

  /** Published files whose time range overlaps [fromUs, toUs). */
  filesInRange(fromUs: number, toUs: number): CatalogFile[] {
    return this.db.prepare(SQL.range).all(fromUs, toUs) as CatalogFile[];
  }

  meta(key: string): string | undefined {
    try {
      return (this.db.prepare(SQL.getMeta).get(key) as { value: string } | undefined)?.value;
    } catch {
      return undefined; // a catalog from before migration 2, opened read-only
    }
  }

  setMeta(key: string, value: string): void {
    this.db.prepare(SQL.setMeta).run(key, value);
  }

  totals(): { files: number; records: number; bytes: number } {
    return this.db.prepare(SQL.totals).get() as { files: number; records: number; bytes: number };
  }

  close(): void {
    this.db.close();
  }
}

export interface CatalogTx {
  nextOffset(topic: string, partition: number): number;
  addFile(f: FileEntry): void;
  setNextOffset(topic: string, partition: number, next: number): void;
}
