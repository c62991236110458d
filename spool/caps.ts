// The size caps: when the spool counts as full (max_bytes on compressed batches stored, or less than
// min_free_bytes free on the filesystem), and the drop_oldest deletion that runs inside the commit's
// transaction so the insert and the drops are atomic and counted exactly.
import { FlowlogError } from '../core/errors.js';
import type { Logger } from '../core/telemetry/logger.js';
import type { Counter } from '../core/telemetry/metrics.js';
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

export interface SpaceWait {
  depth: () => Stored;
  o: CapOptions & { name: string; maintenanceIntervalMs: number };
  /** True once the spool is closing: a waiting append is refused (SPOOL_CLOSED). */
  closing: () => boolean;
  /** Wake-ups registered here are called when acks free space. */
  waiters: Set<() => void>;
  log: Logger;
  blockedSeconds: Counter;
}

/** Resolves when a batch of `need` compressed bytes may be stored (when_full: block waits; drop_oldest never does). */
export async function waitForSpace(need: number, w: SpaceWait): Promise<void> {
  const { o } = w;
  let reason = fullReason(need, w.depth(), o);
  if (!reason) return;
  if (canDrop(reason, need, w.depth(), o)) return; // the commit drops in its transaction
  const t0 = Date.now();
  w.log.warn('spool full: appends wait until sinks free space', { reason, stored_bytes: w.depth().stored, max_bytes: o.maxBytes, min_free_bytes: o.minFreeBytes });
  while (reason) {
    if (w.closing()) throw new FlowlogError('SPOOL_CLOSED', `spool ${o.name} closed while full; the waiting append was not stored`);
    await new Promise<void>((r) => {
      const wake = () => (w.waiters.delete(wake), clearTimeout(t), r());
      const t = setTimeout(wake, Math.min(1000, o.maintenanceIntervalMs));
      w.waiters.add(wake);
    });
    reason = fullReason(need, w.depth(), o);
    if (reason && canDrop(reason, need, w.depth(), o)) break;
  }
  w.blockedSeconds.inc((Date.now() - t0) / 1000);
  w.log.info('spool has space again: appends resume', { waited_ms: Date.now() - t0 });
}
