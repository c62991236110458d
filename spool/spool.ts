// The spool: a durable queue of compressed batches in one SQLite WAL database (spool/types.ts has the
// contract, docs/spool.md the design). Appends coalesce into an open batch that closes at
// batchMaxRecords / batchMaxBytes / batchMaxMs; one writer commits sealed batches in order, each in
// one transaction with the checkpoints that arrived with it; an append resolves when that commit is
// durable. Consumers read unacked batches in id order and ack them; a batch is deleted once every
// configured consumer acked it.
import { join } from 'node:path';
import type { Checkpoint } from '../core/component.js';
import { FlowlogError, isFlowlogError } from '../core/errors.js';
import type { Logger } from '../core/telemetry/logger.js';
import type { Metrics } from '../core/telemetry/metrics.js';
import { decodeBlob, encodeBatch, type EncodedBatch } from './blob.js';
import { SPOOL_DEFAULTS } from './config.js';
import { diskBytes, freeBytes, runMaintenance } from './maintenance.js';
import { SpoolMetrics } from './metrics.js';
import { ensureDir, openSpoolDb, type Db } from './recover.js';
import { SQL } from './sql.js';
import type { SpoolBatch, SpoolEntry, SpoolOptions, SpoolStats } from './types.js';

export interface SpoolDeps {
  log: Logger;
  metrics: Metrics;
  /** When given, checkpoints for other sources are refused (SPOOL_BAD_INPUT). */
  knownSources?: string[];
}

type Resolved = Required<Omit<SpoolOptions, 'consumers'>> & { consumers: string[] };

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

interface Pending {
  entries: SpoolEntry[];
  checkpoints: Map<string, Checkpoint>;
  records: number;
  bytes: number;
  waiters: Waiter[];
  timer?: NodeJS.Timeout;
  encoded?: Promise<EncodedBatch | null>;
}

interface BatchRow {
  id: number;
  created_ms: number;
  records: number;
  bytes: number;
  codec: number;
  crc32: number;
  blob: Buffer;
}

const cpKey = (c: Checkpoint) => `${c.source}\u0000${c.key}`;

export class Spool {
  readonly file: string;
  /** Set when open found a corrupt file and moved it here. */
  readonly quarantinedTo?: string;
  private readonly o: Resolved;
  private readonly db: Db;
  private readonly m: SpoolMetrics;
  private readonly log: Logger;
  private readonly known?: Set<string>;
  private readonly stmt: ReturnType<typeof prepareStatements>;
  private open: Pending | null = null;
  private readonly sealed: Pending[] = [];
  private writing = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  private idle: (() => void)[] = [];
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
    const opened = openSpoolDb(this.file, { sync: o.sync, log: this.log });
    this.db = opened.db;
    if (opened.quarantinedTo) {
      this.quarantinedTo = opened.quarantinedTo;
      this.m.quarantined.inc();
    }
    const db = this.db;
    this.stmt = prepareStatements(db);
    this.startupSweep();
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
      this.validate(entries, checkpoints);
    } catch (e) {
      if (isFlowlogError(e)) this.m.appendError(e.code);
      return Promise.reject(e);
    }
    return new Promise<void>((resolve, reject) => {
      const p: Pending = (this.open ??= { entries: [], checkpoints: new Map(), records: 0, bytes: 0, waiters: [] } as Pending);
      for (const e of entries) {
        p.entries.push(e);
        p.records += e.count;
        p.bytes += e.payload.length;
      }
      for (const c of checkpoints) p.checkpoints.set(cpKey(c), { source: c.source, key: c.key, value: c.value });
      p.waiters.push({ resolve, reject });
      if (p.records >= this.o.batchMaxRecords || p.bytes >= this.o.batchMaxBytes) this.seal();
      else if (!p.timer) {
        p.timer = this.o.batchMaxMs > 0 ? setTimeout(() => this.seal(p), this.o.batchMaxMs) : (setImmediate(() => this.seal(p)) as unknown as NodeJS.Timeout);
      }
    });
  }

  private validate(entries: SpoolEntry[], checkpoints: Checkpoint[]): void {
    if (this.closed || this.closing) throw new FlowlogError('SPOOL_CLOSED', `spool ${this.o.name} is closed`);
    if (!Array.isArray(entries) || !Array.isArray(checkpoints)) throw new FlowlogError('SPOOL_BAD_INPUT', 'append needs an array of entries and an array of checkpoints');
    if (entries.length === 0 && checkpoints.length === 0) throw new FlowlogError('SPOOL_BAD_INPUT', 'empty append: no entries and no checkpoints');
    for (const e of entries) {
      if (!e || typeof e.group !== 'string' || !Buffer.isBuffer(e.payload) || !Number.isInteger(e.count) || e.count < 1) {
        throw new FlowlogError('SPOOL_BAD_INPUT', 'a spool entry needs a string group, a Buffer payload and a positive integer count');
      }
      if (e.payload.length === 0) throw new FlowlogError('SPOOL_BAD_INPUT', 'a spool entry has an empty payload');
      if (e.payload.length > this.o.maxEntryBytes) {
        throw new FlowlogError('SPOOL_BAD_INPUT', `a spool entry of ${e.payload.length} bytes exceeds the ${this.o.maxEntryBytes}-byte limit; lower the source's max_line_bytes`, {
          details: { bytes: e.payload.length, limit: this.o.maxEntryBytes, group: e.group },
        });
      }
    }
    for (const c of checkpoints) {
      if (!c || typeof c.source !== 'string' || typeof c.key !== 'string' || typeof c.value !== 'string') {
        throw new FlowlogError('SPOOL_BAD_INPUT', 'a checkpoint needs string source, key and value');
      }
      if (this.known && !this.known.has(c.source)) {
        throw new FlowlogError('SPOOL_BAD_INPUT', `checkpoint for unknown source "${c.source}" (known: ${[...this.known].join(', ') || 'none'})`, { details: { source: c.source } });
      }
    }
  }

  /** Closes the open batch (or `only` if it is still the open one) and hands it to the writer. */
  private seal(only?: Pending): void {
    const p = this.open;
    if (!p || (only && p !== only)) return;
    this.open = null;
    if (p.timer) clearTimeout(p.timer);
    p.encoded = p.entries.length ? encodeBatch(p.entries) : Promise.resolve(null);
    p.encoded.catch(() => undefined); // handled by the writer
    this.sealed.push(p);
    if (!this.writing) void this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    this.writing = true;
    try {
      while (this.sealed.length) {
        const p = this.sealed[0]!;
        try {
          const enc = await p.encoded!;
          await this.waitForSpace(enc);
          this.commit(p, enc);
          for (const w of p.waiters) w.resolve();
        } catch (e) {
          const err = toSpoolError(e);
          this.m.appendError(err.code);
          if (err.code !== 'FLOWLOG_SPOOL_CLOSED') this.log.error('spool commit failed; the append was refused and its checkpoints did not move', { error: err.message, code: err.code });
          // Nothing that was in flight with a refused append may commit after it (its checkpoints
          // would skip the refused records): refuse the queued batches and the open one too.
          const behind = [...this.sealed.splice(1), ...(this.open ? [this.open] : [])];
          if (this.open?.timer) clearTimeout(this.open.timer);
          this.open = null;
          for (const q of [p, ...behind]) for (const w of q.waiters) w.reject(err);
        }
        this.sealed.shift();
      }
    } finally {
      this.writing = false;
      for (const f of this.idle.splice(0)) f();
    }
  }

  /** Why a batch of `need` compressed bytes cannot be stored now, or null. */
  private fullReason(need: number): string | null {
    if (need > 0 && this.depth.stored + need > this.o.maxBytes && this.depth.batches > 0) return 'max_bytes';
    if (need > 0 && this.o.minFreeBytes > 0 && freeBytes(this.o.dir) - need < this.o.minFreeBytes) return 'min_free_bytes';
    return null;
  }

  /** drop_oldest can make room by deleting stored batches (not when they are too few to free `need`). */
  private canDrop(reason: string, need: number): boolean {
    if (this.o.whenFull !== 'drop_oldest' || this.depth.batches === 0) return false;
    return reason === 'max_bytes' || this.depth.stored >= need;
  }

  private async waitForSpace(enc: EncodedBatch | null): Promise<void> {
    const need = enc?.blob.length ?? 0;
    let reason = this.fullReason(need);
    if (!reason) return;
    if (this.canDrop(reason, need)) return; // commit() drops in its transaction
    const t0 = Date.now();
    this.log.warn('spool full: appends wait until sinks free space', { reason, stored_bytes: this.depth.stored, max_bytes: this.o.maxBytes, min_free_bytes: this.o.minFreeBytes });
    while (reason) {
      if (this.closing) throw new FlowlogError('SPOOL_CLOSED', `spool ${this.o.name} closed while full; the waiting append was not stored`);
      await new Promise<void>((r) => {
        const wake = () => (this.spaceWaiters.delete(wake), clearTimeout(t), r());
        const t = setTimeout(wake, Math.min(1000, this.o.maintenanceIntervalMs));
        this.spaceWaiters.add(wake);
      });
      reason = this.fullReason(need);
      if (reason && this.canDrop(reason, need)) break;
    }
    this.m.blockedSeconds.inc((Date.now() - t0) / 1000);
    this.log.info('spool has space again: appends resume', { waited_ms: Date.now() - t0 });
  }

  private commit(p: Pending, enc: EncodedBatch | null): void {
    const t0 = performance.now();
    const now = Date.now();
    const need = enc?.blob.length ?? 0;
    const dropped = { batches: 0, records: 0, bytes: 0, stored: 0 };
    let id = 0;
    this.db.transaction(() => {
      if (enc && this.o.whenFull === 'drop_oldest') {
        let reason = this.fullReason(need);
        while (reason) {
          const old = this.stmt.selectOldest.all(16) as { id: number; records: number; bytes: number; blob_bytes: number }[];
          if (!old.length) break;
          for (const b of old) {
            this.stmt.deleteBatch.get(b.id);
            this.stmt.deleteAcksOf.run(b.id);
            dropped.batches++;
            dropped.records += b.records;
            dropped.bytes += b.bytes;
            dropped.stored += b.blob_bytes;
            // min_free_bytes: freed pages are reused by the insert, so freeing `need` bytes suffices
            const storedAfter = this.depth.stored - dropped.stored;
            const capOk = storedAfter + need <= this.o.maxBytes || this.depth.batches - dropped.batches === 0;
            reason = !capOk ? 'max_bytes' : reason === 'min_free_bytes' && dropped.stored < need ? reason : null;
            if (!reason) break;
          }
        }
        if (dropped.batches) {
          this.stmt.addMeta.run(dropped.batches, 'dropped_batches');
          this.stmt.addMeta.run(dropped.records, 'dropped_records');
        }
      }
      if (enc) {
        id = Number(
          this.stmt.insertBatch.run({ created_ms: now, records: enc.records, bytes: enc.bytes, blob_bytes: need, codec: enc.codec, crc32: enc.crc32, blob: enc.blob }).lastInsertRowid,
        );
      }
      for (const c of p.checkpoints.values()) this.stmt.upsertCheckpoint.run(c.source, c.key, c.value, now);
    })();
    // durable (per `sync`) from here on
    this.m.commitSeconds.observe((performance.now() - t0) / 1000);
    if (dropped.batches) {
      this.depth.batches -= dropped.batches;
      this.depth.records -= dropped.records;
      this.depth.bytes -= dropped.bytes;
      this.depth.stored -= dropped.stored;
      this.m.droppedBatches.inc(dropped.batches);
      this.m.droppedRecords.inc(dropped.records);
      this.log.warn('spool full: dropped the oldest unsent batches (when_full: drop_oldest)', {
        dropped_batches: dropped.batches,
        dropped_records: dropped.records,
        dropped_bytes: dropped.bytes,
      });
    }
    for (const c of p.checkpoints.values()) this.cpAge.set(c.source, now);
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

  /** Unacked batches of `consumer` with id > afterId, in id order (at most `max`). */
  read(consumer: string, max: number, afterId = 0): SpoolBatch[] {
    this.checkConsumer(consumer);
    const rows = (
      this.o.consumers.length === 1 ? this.stmt.selectAfter.all(afterId, Math.max(0, max)) : this.stmt.selectUnacked.all(afterId, consumer, Math.max(0, max))
    ) as BatchRow[];
    const out: SpoolBatch[] = [];
    for (const r of rows) {
      try {
        out.push({ id: r.id, entries: decodeBlob(r.blob, r.codec, r.crc32), records: r.records, bytes: r.bytes, createdMs: r.created_ms });
      } catch (e) {
        this.removeCorrupt(r, e as Error);
      }
    }
    return out;
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
    let records = 0;
    let bytes = 0;
    const all = JSON.stringify(this.o.consumers);
    try {
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
    } catch (e) {
      this.resync();
      throw toSpoolError(e);
    }
    this.m.ackedRecords.inc(records);
    this.m.ackedBytes.inc(bytes);
    this.setDepthGauges();
    for (const f of [...this.spaceWaiters]) f();
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
    this.m.depthBatches.set(this.depth.batches);
    this.m.depthRecords.set(this.depth.records);
    this.m.depthBytes.set(this.depth.bytes);
    this.m.storedBytes.set(this.depth.stored);
  }

  /** Recomputes the in-memory totals from the database (another process may have drained it). */
  private resync(): void {
    const t = this.stmt.selectTotals.get() as { batches: number; records: number; bytes: number; blob_bytes: number };
    this.depth = { batches: t.batches, records: t.records, bytes: t.bytes, stored: t.blob_bytes };
  }

  /** Deletes batches every configured consumer has acked (the consumer list may have shrunk) and stale acks. */
  private startupSweep(): void {
    if (this.o.consumers.length === 1) {
      this.db.prepare(SQL.deleteStaleAcks).run(JSON.stringify(this.o.consumers));
      return;
    }
    const all = JSON.stringify(this.o.consumers);
    this.db.transaction(() => {
      const ids = this.db.prepare(SQL.selectFullyAcked).pluck().all(all, this.o.consumers.length) as number[];
      for (const id of ids) this.stmt.deleteBatch.get(id), this.stmt.deleteAcksOf.run(id);
      this.db.prepare(SQL.deleteStaleAcks).run(all);
    })();
  }

  private maintain(): void {
    if (this.closed) return;
    try {
      runMaintenance(this.db);
      if (++this.ticks % 30 === 0) this.resync();
      this.refreshGauges();
    } catch (e) {
      this.log.once('maintenance', 'warn', 'spool maintenance failed (will retry)', { error: (e as Error).message });
    }
    if (this.spaceWaiters.size) for (const f of [...this.spaceWaiters]) f();
  }

  /** Commits the open batch, waits for the writer, checkpoints the WAL and closes the database. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      this.seal();
      for (const f of [...this.spaceWaiters]) f();
      if (this.writing) await new Promise<void>((r) => this.idle.push(r));
      clearInterval(this.maintenanceTimer);
      try {
        runMaintenance(this.db);
      } catch (e) {
        this.log.warn('spool final checkpoint failed', { error: (e as Error).message });
      }
      this.closed = true;
      this.m.detach(this);
      this.db.close();
      for (const f of [...this.dataWaiters]) f();
    })());
  }
}

function prepareStatements(db: Db) {
  return {
    insertBatch: db.prepare(SQL.insertBatch),
    upsertCheckpoint: db.prepare(SQL.upsertCheckpoint),
    selectCheckpoints: db.prepare(SQL.selectCheckpoints),
    selectUnacked: db.prepare(SQL.selectUnacked),
    selectAfter: db.prepare(SQL.selectAfter),
    insertAck: db.prepare(SQL.insertAck),
    countAcks: db.prepare(SQL.countAcks).pluck(),
    deleteBatch: db.prepare(SQL.deleteBatch),
    deleteAcksOf: db.prepare(SQL.deleteAcksOf),
    selectOldest: db.prepare(SQL.selectOldest),
    selectOldestCreated: db.prepare(SQL.selectOldestCreated).pluck(),
    selectTotals: db.prepare(SQL.selectTotals),
    selectMeta: db.prepare(SQL.selectMeta).pluck(),
    addMeta: db.prepare(SQL.addMeta),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function toSpoolError(e: unknown): FlowlogError {
  if (e instanceof FlowlogError) return e;
  const code = String((e as { code?: unknown })?.code ?? '');
  if (/^SQLITE_FULL/.test(code) || /ENOSPC/.test(code)) {
    return new FlowlogError('SPOOL_FULL', `spool disk is full (${(e as Error).message}); free space or lower spool.max_bytes`, { cause: e });
  }
  if (/^SQLITE_(CORRUPT|NOTADB)/.test(code)) return new FlowlogError('SPOOL_CORRUPT', `spool database is damaged: ${(e as Error).message}; restart to quarantine it`, { cause: e });
  return new FlowlogError('SPOOL_IO', `spool write failed: ${(e as Error).message}`, { cause: e });
}
