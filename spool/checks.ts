// Input checks for appends and the mapping of SQLite/OS errors to coded spool errors.
import type { Checkpoint } from '../core/component.js';
import { FlowlogError } from '../core/errors.js';
import type { SpoolEntry } from './types.js';

export interface AppendLimits {
  name: string;
  closed: boolean;
  maxEntryBytes: number;
  known?: Set<string>;
}

/** Throws SPOOL_CLOSED or SPOOL_BAD_INPUT for an append that must be refused as a whole. */
export function validateAppend(entries: SpoolEntry[], checkpoints: Checkpoint[], c: AppendLimits): void {
  if (c.closed) throw new FlowlogError('SPOOL_CLOSED', `spool ${c.name} is closed`);
  if (!Array.isArray(entries) || !Array.isArray(checkpoints)) throw new FlowlogError('SPOOL_BAD_INPUT', 'append needs an array of entries and an array of checkpoints');
  if (entries.length === 0 && checkpoints.length === 0) throw new FlowlogError('SPOOL_BAD_INPUT', 'empty append: no entries and no checkpoints');
  for (const e of entries) {
    if (!e || typeof e.group !== 'string' || !Buffer.isBuffer(e.payload) || !Number.isInteger(e.count) || e.count < 1) {
      throw new FlowlogError('SPOOL_BAD_INPUT', 'a spool entry needs a string group, a Buffer payload and a positive integer count');
    }
    if (e.payload.length === 0) throw new FlowlogError('SPOOL_BAD_INPUT', 'a spool entry has an empty payload');
    if (e.payload.length > c.maxEntryBytes) {
      throw new FlowlogError('SPOOL_BAD_INPUT', `a spool entry of ${e.payload.length} bytes exceeds the ${c.maxEntryBytes}-byte limit; lower the source's max_line_bytes`, {
        details: { bytes: e.payload.length, limit: c.maxEntryBytes, group: e.group },
      });
    }
  }
  for (const cp of checkpoints) {
    if (!cp || typeof cp.source !== 'string' || typeof cp.key !== 'string' || typeof cp.value !== 'string') {
      throw new FlowlogError('SPOOL_BAD_INPUT', 'a checkpoint needs string source, key and value');
    }
    if (c.known && !c.known.has(cp.source)) {
      throw new FlowlogError('SPOOL_BAD_INPUT', `checkpoint for unknown source "${cp.source}" (known: ${[...c.known].join(', ') || 'none'})`, { details: { source: cp.source } });
    }
  }
}

export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function toSpoolError(e: unknown): FlowlogError {
  if (e instanceof FlowlogError) return e;
  const code = String((e as { code?: unknown })?.code ?? '');
  if (/^SQLITE_FULL/.test(code) || /ENOSPC/.test(code)) {
    return new FlowlogError('SPOOL_FULL', `spool disk is full (${(e as Error).message}); free space or lower spool.max_bytes`, { cause: e });
  }
  if (/^SQLITE_(CORRUPT|NOTADB)/.test(code)) return new FlowlogError('SPOOL_CORRUPT', `spool database is damaged: ${(e as Error).message}; restart to quarantine it`, { cause: e });
  return new FlowlogError('SPOOL_IO', `spool write failed: ${(e as Error).message}`, { cause: e });
}
