// The spool's public contract (implemented in spool/spool.ts, used by the agent and its sinks).
//
// The spool is a durable queue of batches in one SQLite WAL database. It stores opaque entries: the
// agent encodes events once (NDJSON, docs/event-model.md) and groups them by a routing key before
// appending, so a sink never parses JSON to route. Source checkpoints are written in the same
// transaction as the entries they produced.
import type { Checkpoint } from '../core/component.js';

export interface SpoolEntry {
  /** Opaque routing group chosen by the agent (e.g. the values a sink's topic/key templates read). */
  group: string;
  /** `count` records, framed by the agent (NDJSON: each record ends with '\n'). */
  payload: Buffer;
  count: number;
}

export interface SpoolBatch {
  /** Monotonic id; batches are read in id order. */
  id: number;
  entries: SpoolEntry[];
  records: number;
  /** Uncompressed payload bytes. */
  bytes: number;
  /** When the batch was committed (ms since epoch). */
  createdMs: number;
}

export type SpoolSync = 'full' | 'normal';
export type SpoolWhenFull = 'block' | 'drop_oldest';
/** Codec of newly written batch blobs; stored per batch, so any mix reads back. */
export type SpoolCompression = 'lz4' | 'brotli' | 'none';

export interface SpoolOptions {
  /** Directory holding `<name>.db` (created 0700; files 0600). */
  dir: string;
  name?: string;
  sync?: SpoolSync;
  /** Batch blob codec for new batches (default lz4; brotli q1 ~30% smaller on disk but ~2x slower; none). */
  compression?: SpoolCompression;
  maxBytes?: number;
  whenFull?: SpoolWhenFull;
  /** Treat the spool as full when the filesystem has less free space than this. */
  minFreeBytes?: number;
  /** A batch closes at this many records, uncompressed bytes, or milliseconds after its first append. */
  batchMaxRecords?: number;
  batchMaxBytes?: number;
  batchMaxMs?: number;
  /**
   * Group commit (default true): when the writer is idle a batch closes at the end of the current
   * event-loop turn, and while a commit runs new appends coalesce until it finishes, so batches grow
   * with load and a lone sequential appender is not held for batchMaxMs. false: batches close only
   * at batchMaxRecords / batchMaxBytes / batchMaxMs.
   */
  commitWhenIdle?: boolean;
  /** Largest single entry payload accepted. */
  maxEntryBytes?: number;
  /** WAL checkpoint and incremental vacuum cadence. */
  maintenanceIntervalMs?: number;
  /**
   * Bytes of a reserve file kept beside the database (`<name>.db.reserve`). On a full disk it is
   * deleted so acks and WAL checkpoints can still run and free space; recreated when there is room.
   */
  reserveBytes?: number;
  /** Consumers (sinks) that must each ack a batch before it is deleted; default ['default']. */
  consumers?: string[];
}

export interface SpoolStats {
  batches: number;
  records: number;
  /** Uncompressed bytes waiting. */
  bytes: number;
  /** Bytes on disk (database + WAL). */
  diskBytes: number;
  oldestMs: number | null;
  droppedBatches: number;
  droppedRecords: number;
}
