// The spool: a durable queue of compressed batches in one SQLite WAL database (spool/types.ts has the
// contract, docs/spool.md the design). Appends coalesce into an open batch that closes at
// batchMaxRecords / batchMaxBytes / batchMaxMs; one writer commits sealed batches in order, each in
// one transaction with the checkpoints that arrived with it (group-commit.ts); an append resolves
// when that commit is durable (wal-sync.ts fsyncs the WAL off the event loop). Consumers read
// unacked batches in id order and ack them; a batch is deleted once every
// configured consumer acked it.
import { join } from 'node:path';
import type { Checkpoint } from '../core/component.js';
import { FlowlogError, isFlowlogError } from '../core/errors.js';
import type { Logger } from '../core/telemetry/logger.js';
import type { Metrics } from '../core/telemetry/metrics.js';
import { decodeBlob, decodeBlobAsync, type EncodedBatch } from './blob.js';
import { stripUndefined, toSpoolError, validateAppend } from './checks.js';
import { SPOOL_DEFAULTS } from './defaults.js';
import { dropOldest, waitForSpace, type Dropped } from './caps.js';
import { diskBytes, ensureReserve, releaseReserve, runMaintenance, sweepFullyAcked } from './maintenance.js';
import { GroupCommit, type Pending } from './group-commit.js';
import { SpoolMetrics } from './metrics.js';
import { ensureDir, openSpoolDb, type Db } from './recover.js';
import { SQL, prepareStatements, type Statements } from './sql.js';
import type { SpoolBatch, SpoolEntry, SpoolOptions, SpoolStats } from './types.js';
import { WalSync, type FsyncFn } from './wal-sync.js';

export interface SpoolDeps {
  log: Logger;
  metrics: Metrics;
  /** When given, checkpoints for other sources are refused (SPOOL_BAD_INPUT). */
  knownSources?: string[];
  /** Replaces fs.fsync for the WAL (tests hold or fail it). */
  fsync?: FsyncFn;
}

type Resolved = Required<Omit<SpoolOptions, 'consumers'>> & { consumers: string[] };

interface BatchRow {
  id: number;
  created_ms: number;
  records: number;
  bytes: number;
  codec: number;
  crc32: number;
  blob: Buffer;
}

export class Spool {
  readonly file: string;
  /** Set when open found a corrupt file and moved it here. */
  readonly quarantinedTo?: string;
  private readonly o: Resolved;
  private readonly db: Db;
  private readonly m: SpoolMetrics;
  private readonly log: Logger;
  private readonly known?: Set<string>;
  private readonly stmt: Statements;
  /** sync: full — fsyncs the WAL after commits, off the event loop; null with sync: normal. */
  private readonly walSync: WalSync | null;
  private readonly group: GroupCommit;
  private closed = false;
  private closing: Promise<void> | null = null;
  private dataWaiters = new Set<() => void>();
  private spaceWaiters = new Set<() => void>();
  private maintenanceTimer: NodeJS.Timeout;
  private ticks = 0;
  // in-memory totals of what is stored (resynced from the database periodically)
  private depth = { batches: 0, records: 0, bytes: 0, stored: 0 };
  private lastId = 0;
  private cpAge = new Map<string, number>();
  private fullSince = 0;

  static open(opts: SpoolOptions, deps: SpoolDeps): Spool {
    return new Spool(opts, deps);
  }

  private constructor(opts: SpoolOptions, deps: SpoolDeps) {
    const o: Resolved = { ...SPOOL_DEFAULTS, ...stripUndefined(opts), consumers: [...(opts.consumers ?? SPOOL_DEFAULTS.consumers)] } as Resolved;
    if (o.consumers.length === 0 || new Set(o.consumers).size !== o.consumers.length) {
      throw new FlowlogError('SPOOL_BAD_INPUT', `spool consumers must be a non-empty list of distinct names (got ${JSON.stringify(o.consumers)})`);
    }
    this.o = o;
    this.log = deps.log.child({ component: 'spool', spool: o.name });
    this.m = new SpoolMetrics(deps.metrics, o.name);
    if (deps.knownSources) this.known = new Set(deps.knownSources);
    ensureDir(o.dir);
    this.file = join(o.dir, `${o.name}.db`);
    // SQLite itself never fsyncs a commit: with sync: full the WAL is fsynced by walSync (wal-sync.ts).
    const opened = openSpoolDb(this.file, { sync: 'normal', log: this.log });
    this.db = opened.db;
    if (opened.quarantinedTo) {
      this.quarantinedTo = opened.quarantinedTo;
      this.m.quarantined.inc();
    }
    const db = this.db;
    this.stmt = prepareStatements(db);
    this.group = new GroupCommit(o, (p, enc) => this.store(p, enc), (e) => this.refused(e, 'commit'));
    this.walSync = o.sync === 'full' ? new WalSync(this.file + '-wal', (s) => this.m.fsyncSeconds.observe(s), (e) => this.refused(e, 'fsync'), deps.fsync) : null;
    ensureReserve(this.file, o.reserveBytes, o.dir, o.minFreeBytes);
    sweepFullyAcked(this.db, this.stmt, this.o.consumers);
    this.resync();
    this.lastId = (db.prepare(SQL.selectMaxSeq).pluck().get() as number | undefined) ?? 0;
    for (const r of db.prepare(SQL.selectCheckpointAges).all() as { source: string; updated_ms: number }[]) this.cpAge.set(r.source, r.updated_ms);
    this.m.attach(this);
    this.refreshGauges();
    this.maintenanceTimer = setInterval(() => this.maintain(), o.maintenanceIntervalMs);
    this.maintenanceTimer.unref();
    this.log.debug('spool open', { file: this.file, batches: this.depth.batches, records: this.depth.records });
  }

  // ---------------------------------------------------------------- append side

  append(entries: SpoolEntry[], checkpoints: Checkpoint[]): Promise<void> {
    try {
      validateAppend(entries, checkpoints, { name: this.o.name, closed: this.closed || !!this.closing, maxEntryBytes: this.o.maxEntryBytes, known: this.known });
    } catch (e) {
      if (isFlowlogError(e)) this.m.appendError(e.code);
      return Promise.reject(e);
    }
    return new Promise<void>((resolve, reject) => this.group.add(entries, checkpoints, { resolve, reject }));
  }

  /** Stores one sealed batch (GroupCommit's writer): waits for space, commits, hands the waiters on. */
  private async store(p: Pending, enc: EncodedBatch | null): Promise<void> {
    await waitForSpace(enc?.blob.length ?? 0, {
      depth: () => this.depth,
      o: this.o,
      closing: () => this.closing !== null,
      waiters: this.spaceWaiters,
      log: this.log,
      blockedSeconds: this.m.blockedSeconds,
    });
    this.commit(p, enc);
    if (this.walSync) this.walSync.after(p.waiters);
    else for (const w of p.waiters) w.resolve();
  }

  /** A failed commit or WAL fsync: the appends it covered are refused, counted and logged. */
  private refused(e: unknown, what: 'commit' | 'fsync'): Error {
    const err = toSpoolError(e);
    this.m.appendError(err.code);
    if (err.code !== 'FLOWLOG_SPOOL_CLOSED') this.log.error(`spool ${what} failed; the appends it covered were refused and their checkpoints did not move`, { error: err.message, code: err.code });
    return err;
  }

  private commit(p: Pending, enc: EncodedBatch | null): void {
    const t0 = performance.now();
    const now = Date.now();
    const need = enc?.blob.length ?? 0;
    let dropped: Dropped = { batches: 0, records: 0, bytes: 0, stored: 0 };
    let id = 0;
    this.db.transaction(() => {
      if (enc && this.o.whenFull === 'drop_oldest') dropped = dropOldest(this.stmt, need, this.depth, this.o);
      if (enc) {
        id = Number(
          this.stmt.insertBatch.run({ created_ms: now, records: enc.records, bytes: enc.bytes, blob_bytes: need, codec: enc.codec, crc32: enc.crc32, blob: enc.blob }).lastInsertRowid,
        );
      }
      for (const c of p.checkpoints.values()) this.stmt.upsertCheckpoint.run(c.source, c.key, c.value, now);
    })();
    // committed; durable (per `sync`) once walSync has fsynced the WAL
    this.m.commitSeconds.observe((performance.now() - t0) / 1000);
    if (dropped.batches) {
      for (const k of ['batches', 'records', 'bytes', 'stored'] as const) this.depth[k] -= dropped[k];
      this.m.dropped(dropped, this.log);
    }
    for (const c of p.checkpoints.values()) {
      this.cpAge.set(c.source, now);
      this.m.checkpointAge(c.source).set(0);
    }
    if (enc) {
      this.depth.batches++;
      this.depth.records += enc.records;
      this.depth.bytes += enc.bytes;
      this.depth.stored += need;
      this.lastId = id;
      this.m.appendedBatches.inc();
      this.m.appendedRecords.inc(enc.records);
      this.m.appendedBytes.inc(enc.bytes);
      for (const f of [...this.dataWaiters]) f();
    }
    this.setDepthGauges();
  }

  // ---------------------------------------------------------------- consumer side

  /** Unacked batches of `consumer` with id > afterId, in id order (at most `max`). Decompresses on the calling thread. */
  read(consumer: string, max: number, afterId = 0): SpoolBatch[] {
    const out: SpoolBatch[] = [];
    for (const r of this.rows(consumer, max, afterId)) {
      try {
        out.push({ id: r.id, entries: decodeBlob(r.blob, r.codec, r.crc32), records: r.records, bytes: r.bytes, createdMs: r.created_ms });
      } catch (e) {
        this.removeCorrupt(r, e as Error);
      }
    }
    return out;
  }

  /** Like read(), but the batches decompress in parallel on the libuv pool, off the event loop. */
  async readAsync(consumer: string, max: number, afterId = 0): Promise<SpoolBatch[]> {
    const rows = this.rows(consumer, max, afterId);
    const decoded = await Promise.allSettled(rows.map((r) => decodeBlobAsync(r.blob, r.codec, r.crc32)));
    const out: SpoolBatch[] = [];
    rows.forEach((r, i) => {
      const d = decoded[i]!;
      if (d.status === 'fulfilled') out.push({ id: r.id, entries: d.value, records: r.records, bytes: r.bytes, createdMs: r.created_ms });
      else if (!this.closed) this.removeCorrupt(r, d.reason as Error);
    });
    return out;
  }

  /** Whether `consumer` has a batch after `afterId` that it has not acked (nothing is decoded). */
  hasUnread(consumer: string, afterId = 0): boolean {
    this.checkConsumer(consumer);
    if (this.closed) throw new FlowlogError('SPOOL_CLOSED', `spool ${this.o.name} is closed`);
    const hit = this.o.consumers.length === 1 ? this.stmt.anyAfter.get(afterId) : this.stmt.anyUnacked.get(afterId, consumer);
    return hit !== undefined;
  }

  private rows(consumer: string, max: number, afterId: number): BatchRow[] {
    this.checkConsumer(consumer);
    if (this.closed) throw new FlowlogError('SPOOL_CLOSED', `spool ${this.o.name} is closed`);
    const n = Math.max(0, Math.floor(max));
    return (this.o.consumers.length === 1 ? this.stmt.selectAfter.all(afterId, n) : this.stmt.selectUnacked.all(afterId, consumer, n)) as BatchRow[];
  }

  private removeCorrupt(r: BatchRow, e: Error): void {
    this.db.transaction(() => {
      this.removeBatch(r.id);
      this.stmt.addMeta.run(1, 'corrupt_batches');
    })();
    this.m.corruptBatches.inc();
    this.log.error('spool batch is damaged and was removed', { batch_id: r.id, records: r.records, error: e.message });
    this.setDepthGauges();
  }

  /** Deletes one batch and its acks; returns its sizes (or undefined when already gone). */
  private removeBatch(id: number): { records: number; bytes: number; blob_bytes: number } | undefined {
    const row = this.stmt.deleteBatch.get(id) as { records: number; bytes: number; blob_bytes: number } | undefined;
    if (this.o.consumers.length > 1) this.stmt.deleteAcksOf.run(id);
    if (row) {
      this.depth.batches--;
      this.depth.records -= row.records;
      this.depth.bytes -= row.bytes;
      this.depth.stored -= row.blob_bytes;
    }
    return row;
  }

  /** Acknowledges batches for one consumer; a batch is deleted once every consumer acked it. */
  ack(consumer: string, ids: number[]): void {
    this.checkConsumer(consumer);
    if (this.closed) throw new FlowlogError('SPOOL_CLOSED', `spool ${this.o.name} is closed`);
    let done: { records: number; bytes: number };
    try {
      done = this.ackTxn(consumer, ids);
    } catch (e) {
      this.resync();
      if (!/^SQLITE_FULL/.test(String((e as { code?: unknown }).code))) throw toSpoolError(e);
      // Disk full: even a delete needs WAL space. Give up the reserve file, truncate the WAL, retry once.
      try {
        if (releaseReserve(this.file)) this.log.warn('disk full: released the spool disk reserve so acks can free space', { file: this.file });
        this.db.prepare(SQL.walCheckpointTruncate).get();
        done = this.ackTxn(consumer, ids);
      } catch (e2) {
        this.resync();
        throw toSpoolError(e2);
      }
    }
    this.m.ackedRecords.inc(done.records);
    this.m.ackedBytes.inc(done.bytes);
    this.setDepthGauges();
    for (const f of [...this.spaceWaiters]) f();
  }

  // An ack is never fsynced on its own (SQLite runs with synchronous=NORMAL): losing it to a power cut
  // only means its batches are sent again (at-least-once), and the next durable append's WAL fsync
  // covers it anyway (the WAL is written in order).
  private ackTxn(consumer: string, ids: number[]): { records: number; bytes: number } {
    let records = 0;
    let bytes = 0;
    const all = JSON.stringify(this.o.consumers);
    this.db.transaction(() => {
      for (const id of ids) {
        if (this.o.consumers.length > 1) {
          if (this.stmt.insertAck.run(consumer, id).changes === 0) continue;
          if ((this.stmt.countAcks.get(id, all) as number) < this.o.consumers.length) continue;
        }
        const row = this.removeBatch(id);
        if (row) {
          records += row.records;
          bytes += row.bytes;
        }
      }
    })();
    return { records, bytes };
  }

  private checkConsumer(consumer: string): void {
    if (!this.o.consumers.includes(consumer)) {
      throw new FlowlogError('SPOOL_BAD_INPUT', `unknown spool consumer "${consumer}" (configured: ${this.o.consumers.join(', ')})`);
    }
  }

  /** Resolves when a batch with id > afterId is committed (at once if one exists), on abort, or on close. */
  waitForData(signal?: AbortSignal, afterId?: number): Promise<void> {
    if (this.closed || signal?.aborted || (afterId !== undefined && this.lastId > afterId && this.depth.batches > 0)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.dataWaiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.dataWaiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  // ---------------------------------------------------------------- state

  checkpoints(source: string): Map<string, string> {
    const rows = this.stmt.selectCheckpoints.all(source) as { key: string; value: string }[];
    return new Map(rows.map((r) => [r.key, r.value]));
  }

  stats(): SpoolStats {
    return {
      batches: this.depth.batches,
      records: this.depth.records,
      bytes: this.depth.bytes,
      diskBytes: diskBytes(this.file),
      oldestMs: this.closed ? null : ((this.stmt.selectOldestCreated.get() as number | undefined) ?? null),
      droppedBatches: this.closed ? 0 : (this.stmt.selectMeta.get('dropped_batches') as number),
      droppedRecords: this.closed ? 0 : (this.stmt.selectMeta.get('dropped_records') as number),
    };
  }

  /** Id of the newest committed batch. */
  get lastBatchId(): number {
    return this.lastId;
  }

  /** Compressed bytes stored (what max_bytes caps). */
  get storedBytes(): number {
    return this.depth.stored;
  }

  refreshGauges(): void {
    if (this.closed) return;
    const now = Date.now();
    const oldest = this.stmt.selectOldestCreated.get() as number | undefined;
    this.m.oldestAge.set(oldest === undefined ? 0 : Math.max(0, (now - oldest) / 1000));
    this.m.diskBytes.set(diskBytes(this.file));
    for (const [source, ms] of this.cpAge) this.m.checkpointAge(source).set(Math.max(0, (now - ms) / 1000));
    this.setDepthGauges();
  }

  private setDepthGauges(): void {
    this.m.setDepth(this.depth);
  }

  /** Recomputes the in-memory totals from the database (another process may have drained it). */
  private resync(): void {
    const t = this.stmt.selectTotals.get() as { batches: number; records: number; bytes: number; blob_bytes: number };
    this.depth = { batches: t.batches, records: t.records, bytes: t.bytes, stored: t.blob_bytes };
  }

  private maintain(): void {
    if (this.closed) return;
    try {
      runMaintenance(this.db);
      if (++this.ticks % 30 === 0) this.resync();
      if (this.ticks % 10 === 0) ensureReserve(this.file, this.o.reserveBytes, this.o.dir, this.o.minFreeBytes);
      this.refreshGauges();
    } catch (e) {
      this.log.once('maintenance', 'warn', 'spool maintenance failed (will retry)', { error: (e as Error).message });
    }
    if (this.spaceWaiters.size) for (const f of [...this.spaceWaiters]) f();
  }

  /** Commits the open batch, waits for the writer, checkpoints the WAL and closes the database. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      const flushed = this.group.flush();
      for (const f of [...this.spaceWaiters]) f();
      await flushed;
      await this.walSync?.drain();
      clearInterval(this.maintenanceTimer);
      try {
        runMaintenance(this.db);
      } catch (e) {
        this.log.warn('spool final checkpoint failed', { error: (e as Error).message });
      }
      this.closed = true;
      this.m.detach(this);
      this.db.close();
      this.walSync?.close();
      for (const f of [...this.dataWaiters]) f();
    })());
  }
}
