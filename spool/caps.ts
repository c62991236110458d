// The size caps: when the spool counts as full (max_bytes on compressed batches stored, or less than
// min_free_bytes free on the filesystem), and the drop_oldest deletion that runs inside the commit's
// transaction so the insert and the drops are atomic and counted exactly.
import { freeBytes } from './maintenance.js';
import type { Statements } from './sql.js';

export type FullReason = 'max_bytes' | 'min_free_bytes';

export interface CapOptions {
  dir: string;
  maxBytes: number;
  minFreeBytes: number;
  whenFull: 'block' | 'drop_oldest';
}

export interface Stored {
  batches: number;
  stored: number;
}

export interface Dropped {
  batches: number;
  records: number;
  bytes: number;
  stored: number;
}

/** Why a batch of `need` compressed bytes cannot be stored now, or null. A lone oversized batch fits an empty spool. */
export function fullReason(need: number, s: Stored, o: CapOptions): FullReason | null {
  if (need > 0 && s.stored + need > o.maxBytes && s.batches > 0) return 'max_bytes';
  if (need > 0 && o.minFreeBytes > 0 && freeBytes(o.dir) - need < o.minFreeBytes) return 'min_free_bytes';
  return null;
}

/** drop_oldest can make room by deleting stored batches (not when they are too few to free `need`). */
export function canDrop(reason: FullReason, need: number, s: Stored, o: CapOptions): boolean {
  if (o.whenFull !== 'drop_oldest' || s.batches === 0) return false;
  return reason === 'max_bytes' || s.stored >= need;
}

/** Deletes the oldest batches until `need` fits; call inside the commit's transaction. */
export function dropOldest(stmt: Statements, need: number, s: Stored, o: CapOptions): Dropped {
  const d: Dropped = { batches: 0, records: 0, bytes: 0, stored: 0 };
  let reason = fullReason(need, s, o);
  while (reason) {
    const old = stmt.selectOldest.all(16) as { id: number; records: number; bytes: number; blob_bytes: number }[];
    if (!old.length) break;
    for (const b of old) {
      stmt.deleteBatch.get(b.id);
      stmt.deleteAcksOf.run(b.id);
      d.batches++;
      d.records += b.records;
      d.bytes += b.bytes;
      d.stored += b.blob_bytes;
      // min_free_bytes: freed pages are reused by the insert, so freeing `need` bytes suffices
      const capOk = s.stored - d.stored + need <= o.maxBytes || s.batches - d.batches === 0;
      reason = !capOk ? 'max_bytes' : reason === 'min_free_bytes' && d.stored < need ? reason : null;
      if (!reason) break;
    }
  }
  if (d.batches) {
    stmt.addMeta.run(d.batches, 'dropped_batches');
    stmt.addMeta.run(d.records, 'dropped_records');
  }
  return d;
}
