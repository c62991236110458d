// Offline helpers behind `flowlog spool stats|check|drain`: they work on a spool file directly
// (read-only unless draining with --ack) and never quarantine or migrate it. `salvage` copies every
// batch that still decodes from a damaged file into a fresh spool.
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { FlowlogError, describeError } from '../core/errors.js';
import type { Logger } from '../core/telemetry/logger.js';
import { decodeBlob } from './blob.js';
import { diskBytes } from './maintenance.js';
import { ensureDir, openSpoolDb, type Db } from './recover.js';
import { SQL } from './sql.js';
import type { SpoolEntry } from './types.js';

/** The spool file under a data directory: `<dir>/<name>.db`, else `<dir>/spool/<name>.db`. */
export function locateSpool(dataDir: string, name = 'spool'): string {
  const candidates = [join(dataDir, `${name}.db`), join(dataDir, 'spool', `${name}.db`)];
  const found = candidates.find((f) => existsSync(f));
  if (!found) throw new FlowlogError('SPOOL_IO', `no spool found: looked for ${candidates.join(' and ')}; check --data-dir and --name`);
  return found;
}

function openExisting(file: string, readonly: boolean): Db {
  try {
    const db = new Database(file, { readonly, fileMustExist: true });
    db.prepare(SQL.userVersion).get(); // forces the header to be read
    return db;
  } catch (e) {
    const code = String((e as { code?: unknown }).code ?? '');
    throw new FlowlogError(/CORRUPT|NOTADB/.test(code) ? 'SPOOL_CORRUPT' : 'SPOOL_IO', `cannot open ${file}: ${describeError(e)}`, { cause: e });
  }
}

export interface SpoolReport {
  file: string;
  batches: number;
  records: number;
  bytes: number;
  storedBytes: number;
  diskBytes: number;
  freePages: number;
  pageSize: number;
  oldestMs: number | null;
  oldestAgeSeconds: number | null;
  droppedBatches: number;
  droppedRecords: number;
  corruptBatches: number;
  checkpoints: { source: string; key: string; value: string; ageSeconds: number }[];
}

export function spoolReport(file: string): SpoolReport {
  const db = openExisting(file, true);
  try {
    const t = db.prepare(SQL.selectTotals).get() as { batches: number; records: number; bytes: number; blob_bytes: number };
    const oldest = (db.prepare(SQL.selectOldestCreated).pluck().get() as number | undefined) ?? null;
    const meta = (k: string) => (db.prepare(SQL.selectMeta).pluck().get(k) as number | undefined) ?? 0;
    const now = Date.now();
    const cps = db.prepare(SQL.selectAllCheckpoints).all() as { source: string; key: string; value: string; updated_ms: number }[];
    return {
      file,
      batches: t.batches,
      records: t.records,
      bytes: t.bytes,
      storedBytes: t.blob_bytes,
      diskBytes: diskBytes(file),
      freePages: db.prepare(SQL.freelistCount).pluck().get() as number,
      pageSize: db.prepare(SQL.pageSize).pluck().get() as number,
      oldestMs: oldest,
      oldestAgeSeconds: oldest === null ? null : Math.max(0, (now - oldest) / 1000),
      droppedBatches: meta('dropped_batches'),
      droppedRecords: meta('dropped_records'),
      corruptBatches: meta('corrupt_batches'),
      checkpoints: cps.map((c) => ({ source: c.source, key: c.key, value: c.value, ageSeconds: Math.max(0, (now - c.updated_ms) / 1000) })),
    };
  } finally {
    db.close();
  }
}

interface RawBatch {
  id: number;
  created_ms: number;
  records: number;
  bytes: number;
  blob_bytes: number;
  codec: number;
  crc32: number;
  blob: Buffer;
}

const SELECT_RAW_BY_ID = 'SELECT id, created_ms, records, bytes, blob_bytes, codec, crc32, blob FROM batches WHERE id = ?';

/**
 * Every batch that can be read and decoded, in id order. Scans by id range; where the table's pages
 * are damaged it probes ids one by one up to the highest id ever assigned.
 */
export function* readableBatches(db: Db, onBad: (id: number | null, why: string) => void): Generator<{ raw: RawBatch; entries: SpoolEntry[] }> {
  const ids = db.prepare(SQL.selectBatchIdsAfter).pluck();
  const byId = db.prepare(SELECT_RAW_BY_ID);
  let maxSeq = 0;
  try {
    maxSeq = (db.prepare(SQL.selectMaxSeq).pluck().get() as number | undefined) ?? 0;
  } catch {
    maxSeq = 0;
  }
  let after = 0;
  for (;;) {
    let page: number[];
    try {
      page = ids.all(after, 256) as number[];
    } catch (e) {
      // damaged index pages: probe forward one id at a time
      onBad(null, `batch table scan failed after id ${after}: ${(e as Error).message}`);
      let found = false;
      for (let id = after + 1; id <= Math.max(maxSeq, after + 100_000); id++) {
        try {
          if (byId.get(id)) {
            after = id - 1;
            found = true;
            break;
          }
        } catch {
          /* keep probing */
        }
      }
      if (!found) return;
      try {
        page = ids.all(after, 256) as number[];
      } catch {
        page = [after + 1];
      }
    }
    if (!page.length) return;
    for (const id of page) {
      after = id;
      try {
        const raw = byId.get(id) as RawBatch | undefined;
        if (!raw) continue;
        yield { raw, entries: decodeBlob(raw.blob, raw.codec, raw.crc32) };
      } catch (e) {
        onBad(id, (e as Error).message);
      }
    }
  }
}

export interface CheckReport {
  file: string;
  ok: boolean;
  /** integrity_check output ("ok" when sound) or the open error. */
  problems: string[];
  goodBatches: number;
  badBatches: { id: number | null; why: string }[];
  goodRecords: number;
}

/** Full integrity check plus a decode of every batch (read-only). */
export function checkSpool(file: string): CheckReport {
  const report: CheckReport = { file, ok: false, problems: [], goodBatches: 0, badBatches: [], goodRecords: 0 };
  let db: Db;
  try {
    db = openExisting(file, true);
  } catch (e) {
    report.problems.push((e as Error).message);
    return report;
  }
  try {
    try {
      const rows = db.prepare(SQL.integrityCheck).pluck().all() as string[];
      if (!(rows.length === 1 && rows[0] === 'ok')) report.problems.push(...rows.slice(0, 50));
    } catch (e) {
      report.problems.push(`integrity_check failed: ${(e as Error).message}`);
    }
    try {
      for (const { raw } of readableBatches(db, (id, why) => report.badBatches.push({ id, why }))) {
        report.goodBatches++;
        report.goodRecords += raw.records;
      }
    } catch (e) {
      report.problems.push(`batch scan failed: ${(e as Error).message}`);
    }
  } finally {
    db.close();
  }
  report.ok = report.problems.length === 0 && report.badBatches.length === 0;
  return report;
}

export interface SalvageReport extends CheckReport {
  out: string;
  checkpointsCopied: number;
}

/**
 * Copies the readable batches (and checkpoints) of a damaged spool file into a fresh spool at
 * `<outDir>/<name>.db`. The damaged file is never written: it is copied to a temp dir first.
 */
export function salvageSpool(file: string, outDir: string, log: Logger, name = 'spool'): SalvageReport {
  const out = join(outDir, `${name}.db`);
  if (existsSync(out)) throw new FlowlogError('SPOOL_BAD_INPUT', `${out} already exists; salvage into an empty directory`);
  const report: SalvageReport = { file, out, ok: false, problems: [], goodBatches: 0, badBatches: [], goodRecords: 0, checkpointsCopied: 0 };
  const tmp = mkdtempSync(join(tmpdir(), 'flowlog-salvage-'));
  try {
    const copy = join(tmp, basename(file));
    copyFileSync(file, copy);
    if (existsSync(file + '-wal')) copyFileSync(file + '-wal', copy + '-wal');
    let src: Db;
    try {
      src = openExisting(copy, false);
    } catch (e) {
      report.problems.push((e as Error).message);
      return report;
    }
    ensureDir(outDir);
    const { db: dst } = openSpoolDb(out, { sync: 'full', log });
    try {
      const insert = dst.prepare(SQL.insertBatch);
      const upsert = dst.prepare(SQL.upsertCheckpoint);
      const tx = dst.transaction((rows: RawBatch[]) => {
        for (const r of rows) insert.run({ created_ms: r.created_ms, records: r.records, bytes: r.bytes, blob_bytes: r.blob_bytes, codec: r.codec, crc32: r.crc32, blob: r.blob });
      });
      let chunk: RawBatch[] = [];
      for (const { raw } of readableBatches(src, (id, why) => report.badBatches.push({ id, why }))) {
        chunk.push(raw);
        report.goodBatches++;
        report.goodRecords += raw.records;
        if (chunk.length >= 64) tx(chunk.splice(0));
      }
      tx(chunk);
      chunk = [];
      try {
        const cps = src.prepare(SQL.selectAllCheckpoints).all() as { source: string; key: string; value: string; updated_ms: number }[];
        dst.transaction(() => cps.forEach((c) => upsert.run(c.source, c.key, c.value, c.updated_ms)))();
        report.checkpointsCopied = cps.length;
      } catch (e) {
        report.problems.push(`checkpoints unreadable: ${(e as Error).message} (sources will resume from their defaults)`);
      }
      dst.prepare(SQL.walCheckpointTruncate).get();
    } finally {
      src.close();
      dst.close();
    }
    report.ok = report.problems.length === 0 && report.badBatches.length === 0;
    return report;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface DrainResult {
  batches: number;
  records: number;
  bytes: number;
}

/**
 * Writes every batch's records (the entries' NDJSON payloads) through `write`, in id order. With
 * `ack`, each batch is deleted after its records were written.
 */
export async function drainSpool(file: string, write: (chunk: Buffer) => Promise<void>, opts: { ack: boolean; onBad?: (id: number | null, why: string) => void }): Promise<DrainResult> {
  const db = openExisting(file, !opts.ack);
  const res: DrainResult = { batches: 0, records: 0, bytes: 0 };
  try {
    const del = opts.ack ? db.prepare(SQL.deleteBatch) : undefined;
    const delAcks = opts.ack ? db.prepare(SQL.deleteAcksOf) : undefined;
    for (const { raw, entries } of readableBatches(db, opts.onBad ?? (() => undefined))) {
      for (const e of entries) await write(e.payload);
      if (del) db.transaction(() => (del.get(raw.id), delAcks!.run(raw.id)))();
      res.batches++;
      res.records += raw.records;
      res.bytes += raw.bytes;
    }
    if (opts.ack) db.prepare(SQL.walCheckpointTruncate).get();
  } finally {
    db.close();
  }
  return res;
}
