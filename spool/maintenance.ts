// Housekeeping that must not run inside commits: WAL checkpoints (auto-checkpoint is off; measured
// 11-31 ms p99 commit spikes with it on), incremental vacuum so a drained spool shrinks, and the
// filesystem/disk measurements the full check and the gauges use.
import { closeSync, fsyncSync, openSync, rmSync, statSync, statfsSync, writeSync } from 'node:fs';
import type { Db } from './recover.js';
import { SQL, type Statements } from './sql.js';

/** Pages reclaimed per maintenance run at most (bounded pause: 4096 × 4 KiB = 16 MiB). */
export const VACUUM_PAGES_PER_RUN = 4096;
/** Free pages tolerated before reclaiming. */
export const VACUUM_MIN_FREE_PAGES = 256;

export interface MaintenanceResult {
  vacuumedPages: number;
  walCheckpointed: boolean;
}

/** Reclaims free pages (bounded), then checkpoints the WAL and truncates it. */
export function runMaintenance(db: Db): MaintenanceResult {
  let vacuumedPages = 0;
  const free = db.prepare(SQL.freelistCount).pluck().get() as number;
  if (free >= VACUUM_MIN_FREE_PAGES) {
    vacuumedPages = Math.min(free, VACUUM_PAGES_PER_RUN);
    db.prepare(SQL.incrementalVacuum(vacuumedPages)).all();
  }
  const row = db.prepare(SQL.walCheckpointTruncate).get() as { busy: number } | undefined;
  return { vacuumedPages, walCheckpointed: row?.busy === 0 };
}

/** At open: deletes batches every configured consumer has acked (the consumer list may have shrunk) and stale acks. */
export function sweepFullyAcked(db: Db, stmt: Statements, consumers: readonly string[]): void {
  const all = JSON.stringify(consumers);
  db.transaction(() => {
    const ids = db.prepare(SQL.selectFullyAcked).pluck().all(all, consumers.length) as number[];
    for (const id of ids) stmt.deleteBatch.get(id), stmt.deleteAcksOf.run(id);
    db.prepare(SQL.deleteStaleAcks).run(all);
  })();
}

/** Bytes of the database file plus its WAL. */
export function diskBytes(file: string): number {
  let n = 0;
  for (const f of [file, file + '-wal']) {
    try {
      n += statSync(f).size;
    } catch {
      /* absent */
    }
  }
  return n;
}

/** Bytes available to this user on the filesystem holding `dir` (Infinity when unknown). */
export function freeBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Infinity;
  }
}

/**
 * The disk reserve: a file of `bytes` kept beside the spool. When the disk is full even deletes and
 * WAL checkpoints fail (they need space), so acks could never free anything; deleting the reserve
 * makes room for them. It is recreated once the filesystem has room again.
 */
export function reservePath(file: string): string {
  return file + '.reserve';
}

/** Creates the reserve file when absent and the disk has room for it beyond `minFree`. Returns whether it exists. */
export function ensureReserve(file: string, bytes: number, dir: string, minFree: number): boolean {
  if (bytes <= 0) return false;
  const path = reservePath(file);
  try {
    if (statSync(path).size >= bytes) return true;
  } catch {
    /* absent */
  }
  if (freeBytes(dir) < bytes + minFree + bytes) return false;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'w', 0o600);
    const chunk = Buffer.alloc(Math.min(bytes, 1 << 20));
    for (let off = 0; off < bytes; off += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - off), off);
    fsyncSync(fd);
    return true;
  } catch {
    rmSync(path, { force: true });
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Deletes the reserve file; returns whether there was one. */
export function releaseReserve(file: string): boolean {
  const path = reservePath(file);
  try {
    statSync(path);
  } catch {
    return false;
  }
  rmSync(path, { force: true });
  return true;
}
