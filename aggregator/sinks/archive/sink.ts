// The cold sink: Kafka records → Hive-partitioned Parquet files, exactly once across restarts.
// Records are buffered (writer.ts) — whole source batches straight from their NDJSON message values
// by DuckDB (bulk.ts), the rest record by record — and written out together when the buffer reaches max_file_bytes,
// when its oldest record is max_file_age_ms old, or on shutdown. A flush holds the catalog's write
// lock, drops buffered records whose Kafka offsets the catalog already covers, writes the files to
// staging, commits them (pending) with the new offsets in one transaction, publishes them, and only
// then acknowledges the batches it contains (which lets the source commit their Kafka offsets).
// Failures (full disk, S3 down) are retried with backoff and never acknowledged meanwhile, so the
// source pauses once its in-flight budget is used: nothing is dropped.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { BuildEnv, Sink, SinkContext } from '../../../core/component.js';
import type { LogEvent } from '../../../core/event.js';
import { describeError } from '../../../core/errors.js';
import type { AggBatch } from '../../types.js';
import { Catalog } from './catalog.js';
import type { ArchiveConfig } from './config.js';
import { LocalStore, type ArchiveStore } from './local.js';
import { S3Store } from './s3.js';
import { ParquetBuffer, type StagedFile } from './writer.js';
import { columnName } from './partition.js';
import { Channel } from '../../../core/channel.js';

/** Raw bytes of Kafka batches the bulk path loads with one statement at most (the first batch always goes). */
const BULK_BYTES = 64 * 1024 * 1024;
/** After this many batches in a row refused by the bulk path, the next BULK_SKIP batches skip it. */
const BULK_MISSES = 4;
const BULK_SKIP = 256;

export function estimateBytes(e: LogEvent): number {
  let n = 96 + e.body.length;
  for (const k in e.attributes) n += k.length + String(e.attributes[k]).length + 6;
  return n;
}

export interface ArchivePaths {
  root: string;
  staging: string;
  tmp: string;
  catalog: string;
}

/** Local paths: the archive root (or, with S3, the local state directory), staging, DuckDB spill, catalog. */
export function archivePaths(cfg: ArchiveConfig, env: BuildEnv): ArchivePaths {
  const root = resolve(env.configDir, cfg.path);
  const meta = join(root, '_flowlog');
  return {
    root,
    staging: join(meta, 'staging'),
    tmp: join(meta, 'tmp', `${process.pid}-${Math.random().toString(36).slice(2, 8)}`),
    catalog: cfg.catalog_path ? resolve(env.configDir, cfg.catalog_path) : join(meta, 'catalog.sqlite'),
  };
}

export class ArchiveSink implements Sink {
  private buffer?: ParquetBuffer;
  private catalog?: Catalog;
  private store!: ArchiveStore;
  private readonly next = new Map<string, number>();
  private waiting: AggBatch[] = [];
  private unpublished: StagedFile[] = [];
  private lock: Promise<void> = Promise.resolve();
  private healthy_ = true;
  /** Takes whole source batches as raw NDJSON values (bulk.ts); decodes them only when it must. */
  readonly acceptsRaw = true;

  constructor(
    private readonly cfg: ArchiveConfig,
    private readonly paths: ArchivePaths,
  ) {}

  healthy(): boolean {
    return this.healthy_;
  }

  async run(ctx: SinkContext): Promise<void> {
    const log = ctx.log;
    const written = ctx.metrics.counter('flowlog_archive_records_total', 'Records written to the archive', { component: ctx.name });
    const skipped = ctx.metrics.counter('flowlog_archive_duplicates_skipped_total', 'Records skipped because the catalog already covers their offsets', { component: ctx.name });
    const files = ctx.metrics.counter('flowlog_archive_files_total', 'Parquet files published', { component: ctx.name });
    this.published = () => files.inc();
    const errors = ctx.metrics.counter('flowlog_archive_errors_total', 'Failed archive flush attempts (retried)', { component: ctx.name });
    const rejected = ctx.metrics.counter('flowlog_archive_rejected_total', 'Records rejected (larger than max_record_bytes)', { component: ctx.name });
    this.store = this.cfg.s3 ? new S3Store(this.cfg.s3) : new LocalStore(this.paths.root);
    const catalog = (this.catalog = new Catalog(this.paths.catalog));
    await this.recover(log);
    catalog.setMeta('columns', JSON.stringify(Object.fromEntries(this.cfg.columns.map((a) => [columnName(a), a]))));
    const buffer = (this.buffer = await ParquetBuffer.open(this.cfg, this.paths.tmp));
    log.info('archive ready', { where: this.store.where, catalog: this.paths.catalog });

    const flush = async (reason: string, finalFlush = false): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.flushOnce(log);
          this.healthy_ = true;
          return;
        } catch (e) {
          errors.inc();
          this.healthy_ = false;
          log.error('archive flush failed; retrying (consumption pauses once the in-flight budget is used)', { reason, attempt, error: describeError(e) });
          if (finalFlush && attempt >= 5) {
            log.error('archive: giving up at shutdown; unacknowledged records are read again from Kafka on restart', {});
            return;
          }
          await new Promise((r) => setTimeout(r, Math.min(30_000, 250 * 2 ** Math.min(attempt, 7))));
        }
      }
    };
    const serial = (fn: () => Promise<void>) => (this.lock = this.lock.then(fn));

    // the age is checked again when the flush's turn comes: a size flush may have emptied the buffer
    // meanwhile, and its new records are not old yet
    const aged = () => buffer.rows > 0 && Date.now() - buffer.oldestMs >= this.cfg.max_file_age_ms;
    const ageTimer = setInterval(() => {
      if (aged()) void serial(() => (aged() ? flush('age') : Promise.resolve()));
    }, Math.max(50, Math.min(1000, this.cfg.max_file_age_ms / 10)));
    const counters = { written, skipped, rejected };
    const appended = async (batches: AggBatch[]) => {
      this.waiting.push(...batches);
      if (buffer.bytes >= this.cfg.max_file_bytes) await flush('size');
      else if (buffer.rows === 0 && this.unpublished.length === 0) this.ackAll();
    };
    try {
      for await (const b of ctx.input) {
        // what else is queued goes along: the bulk path takes several batches in one statement
        const batches = [b as AggBatch, ...(ctx.input instanceof Channel ? (ctx.input.drain() as AggBatch[]) : [])];
        await serial(async () => {
          for (let i = 0; i < batches.length; ) {
            const group: AggBatch[] = [];
            let bytes = 0;
            while (i < batches.length && bytes < BULK_BYTES && this.bulkEligible(batches[i]!)) {
              bytes += batches[i]!.bytes ?? 0;
              group.push(batches[i++]!);
            }
            if (group.length > 0 && (await this.appendBulk(group, written))) {
              this.bulkMisses = 0;
              await appended(group);
              continue;
            }
            // the per-record path; a refused group's batches try the bulk path alone first
            for (const batch of group.length > 0 ? group : [batches[i++]!]) {
              if (!(group.length > 1 && (await this.appendBulk([batch], written)))) {
                if (group.length > 0) this.bulkMissed();
                this.appendRecords(batch, counters);
              } else this.bulkMisses = 0;
              await appended([batch]);
            }
          }
        });
      }
      await serial(() => flush('shutdown', true));
    } finally {
      clearInterval(ageTimer);
      await this.lock.catch(() => {});
      buffer.close();
      catalog.close();
      rmSync(this.paths.tmp, { recursive: true, force: true });
    }
  }

  private published: () => void = () => {};

  /** Consecutive batches the bulk path refused, and batches left to send straight to the per-record path. */
  private bulkMisses = 0;
  private bulkSkip = 0;

  /**
   * A refused batch costs a failed statement before the per-record path runs. When the data keeps
   * being refused (e.g. float attributes in every batch), skip the bulk path for a while instead.
   */
  private bulkMissed(): void {
    if (++this.bulkMisses < BULK_MISSES) return;
    this.bulkMisses = 0;
    this.bulkSkip = BULK_SKIP;
  }

  /** Whether the bulk path may take the batch: whole, undecoded, none of its offsets archived before. */
  private bulkEligible(batch: AggBatch): boolean {
    if (this.bulkSkip > 0) {
      this.bulkSkip--;
      return false;
    }
    const raw = batch.raw;
    const origin = batch.origin;
    if (!raw || !origin || batch.events.length > 0 || raw.values.length === 0) return false;
    const key = `${origin.topic}\u0000${origin.partition}`;
    let next = this.next.get(key);
    if (next === undefined) this.next.set(key, (next = this.catalog!.nextOffset(origin.topic, origin.partition)));
    // offsets already archived (a restart or another process): the per-record path counts what it skips
    return raw.offsets[0]! >= next;
  }

  /** The bulk path (bulk.ts) for eligible batches; false when they must take the per-record path (nothing buffered then). */
  private async appendBulk(batches: AggBatch[], written: { inc(n: number): void }): Promise<boolean> {
    const before = this.buffer!.rows;
    const ok = await this.buffer!.appendRaw(batches.map((b) => ({ topic: b.origin!.topic, partition: b.origin!.partition, raw: b.raw! })));
    if (!ok) return false;
    written.inc(this.buffer!.rows - before);
    for (const b of batches) {
      const raw = b.raw!;
      this.next.set(`${b.origin!.topic}\u0000${b.origin!.partition}`, raw.offsets[raw.offsets.length - 1]! + 1);
    }
    // rows per batch are not counted one by one: the source's counter gets the group's total once
    batches[0]!.raw!.counted(this.buffer!.rows - before);
    for (let i = 1; i < batches.length; i++) batches[i]!.raw!.counted(0);
    return true;
  }

  /** The per-record path: decoded events, oversized records rejected, offsets already archived skipped. */
  private appendRecords(batch: AggBatch, c: { written: { inc(n: number): void }; skipped: { inc(n?: number): void }; rejected: { inc(n?: number): void } }): void {
    batch.decode?.();
    const origin = batch.origin;
    const buffer = this.buffer!;
    const sizes = batch.events.map(estimateBytes);
    const drop = new Uint8Array(batch.events.length);
    for (let i = 0; i < sizes.length; i++) {
      if (sizes[i]! > this.cfg.max_record_bytes) {
        drop[i] = 1;
        c.rejected.inc();
        batch.rejectEvent?.(i, `record of ~${sizes[i]} bytes exceeds the archive's max_record_bytes (${this.cfg.max_record_bytes})`);
      }
    }
    if (origin) {
      const key = `${origin.topic}\u0000${origin.partition}`;
      let next = this.next.get(key);
      if (next === undefined) next = this.catalog!.nextOffset(origin.topic, origin.partition);
      let max = next - 1;
      for (let i = 0; i < origin.offsets.length; i++) {
        const o = origin.offsets[i]!;
        if (o < next) {
          if (!drop[i]) c.skipped.inc();
          drop[i] = 1;
        } else if (o > max) max = o;
      }
      this.next.set(key, max + 1);
    }
    const before = buffer.rows;
    buffer.append(batch.events, origin, sizes, (i) => drop[i] === 1);
    c.written.inc(buffer.rows - before);
  }

  private ackAll(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const b of w) b.ack?.('delivered');
  }

  /** One flush attempt; resumable: files committed but not yet published are published first. */
  private async flushOnce(log: SinkContext['log']): Promise<void> {
    const buffer = this.buffer!;
    const catalog = this.catalog!;
    if (this.unpublished.length === 0 && buffer.rows > 0) {
      const flushId = `${Date.now().toString(36)}-${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      const dir = join(this.paths.staging, flushId);
      mkdirSync(this.paths.staging, { recursive: true, mode: 0o700 });
      try {
        this.unpublished = await catalog.withWriteLock(async (tx) => {
          const parts = await buffer.kafkaPartitions();
          for (const p of parts) {
            const n = tx.nextOffset(p.topic, p.partition);
            if (n > 0) await buffer.dropBelow(p.topic, p.partition, n);
          }
          const staged = await buffer.writeStaged(dir, flushId);
          for (const f of staged) tx.addFile({ ...f, staging: f.stagedAt });
          for (const p of parts) {
            tx.setNextOffset(p.topic, p.partition, p.max + 1);
            const key = `${p.topic}\u0000${p.partition}`;
            this.next.set(key, Math.max(this.next.get(key) ?? 0, p.max + 1));
          }
          return staged;
        });
      } catch (e) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
      await buffer.clear();
      log.debug('archive flush committed', { files: this.unpublished.length });
    }
    while (this.unpublished.length > 0) {
      const f = this.unpublished[0]!;
      await this.store.publish(f.stagedAt, f.path);
      catalog.markDone(f.path);
      this.published();
      const done = this.unpublished.shift()!;
      if (this.unpublished.length === 0) rmSync(flushDir(this.paths.staging, done.stagedAt), { recursive: true, force: true });
    }
    if (buffer.rows === 0) this.ackAll();
  }

  /**
   * Under the catalog's write lock (so no other process is between writing and committing): rolls
   * pending publishes forward and deletes every staging directory holding no pending file (files never
   * catalogued: a crash between writing and committing). Also removes DuckDB spill dirs of dead processes.
   */
  private async recover(log: SinkContext['log']): Promise<void> {
    const catalog = this.catalog!;
    await catalog.withWriteLock(async () => {
      const keep = new Set<string>();
      for (const p of catalog.pending()) {
        if (existsSync(p.staging)) {
          keep.add(flushDir(this.paths.staging, p.staging));
          await this.store.publish(p.staging, p.path);
        } else if (!(await this.store.exists(p.path))) {
          log.error('archive: a catalogued file is missing from staging and from the archive', { path: p.path });
          continue;
        }
        catalog.markDone(p.path);
        log.info('archive: published a file left pending by a previous run', { path: p.path });
      }
      for (const d of safeList(this.paths.staging)) {
        const full = join(this.paths.staging, d);
        rmSync(full, { recursive: true, force: true });
        if (!keep.has(full)) log.info('archive: deleted uncatalogued staging files', { dir: full });
      }
    });
    const tmpRoot = dirname(this.paths.tmp);
    for (const d of safeList(tmpRoot)) {
      const pid = Number(d.split('-')[0]);
      if (pid && pid !== process.pid && !alive(pid)) rmSync(join(tmpRoot, d), { recursive: true, force: true });
    }
  }
}

/** The flush directory (staging/<flush id>) a staged file belongs to. */
function flushDir(staging: string, file: string): string {
  return join(staging, relative(staging, file).split('/')[0]!);
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
