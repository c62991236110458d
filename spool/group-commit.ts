// Group commit: appends coalesce into an open batch that closes at batchMaxRecords / batchMaxBytes /
// batchMaxMs (or at once when the writer is idle, with commitWhenIdle); one writer stores the sealed
// batches strictly in order. When storing one fails, it and every batch queued behind it (and the
// open one) are refused: nothing that was in flight with a refused append may commit after it, or
// its checkpoints would skip the refused records.
import type { Checkpoint } from '../core/component.js';
import { encodeBatch, type EncodedBatch } from './blob.js';
import type { SpoolCompression, SpoolEntry } from './types.js';
import type { SyncWaiter } from './wal-sync.js';

export interface Pending {
  entries: SpoolEntry[];
  checkpoints: Map<string, Checkpoint>;
  records: number;
  bytes: number;
  waiters: SyncWaiter[];
  timer?: NodeJS.Timeout;
  encoded?: Promise<EncodedBatch | null>;
}

export interface GroupCommitOptions {
  batchMaxRecords: number;
  batchMaxBytes: number;
  batchMaxMs: number;
  commitWhenIdle: boolean;
  compression: SpoolCompression;
}

const cpKey = (c: Checkpoint) => `${c.source}\u0000${c.key}`;

export class GroupCommit {
  private open: Pending | null = null;
  private readonly sealed: Pending[] = [];
  private writing = false;
  private idle: (() => void)[] = [];

  /**
   * @param store commits one sealed batch (its encoded blob, or null for checkpoints only) and hands
   *   its waiters on (resolved when durable); throwing refuses it and everything behind it.
   * @param refused called once per failed store, before the waiters are rejected with its result.
   */
  constructor(
    private readonly o: GroupCommitOptions,
    private readonly store: (p: Pending, enc: EncodedBatch | null) => Promise<void>,
    private readonly refused: (e: unknown) => Error,
  ) {}

  add(entries: SpoolEntry[], checkpoints: Checkpoint[], waiter: SyncWaiter): void {
    const p: Pending = (this.open ??= { entries: [], checkpoints: new Map(), records: 0, bytes: 0, waiters: [] });
    for (const e of entries) {
      p.entries.push(e);
      p.records += e.count;
      p.bytes += e.payload.length;
    }
    for (const c of checkpoints) p.checkpoints.set(cpKey(c), { source: c.source, key: c.key, value: c.value });
    p.waiters.push(waiter);
    if (p.records >= this.o.batchMaxRecords || p.bytes >= this.o.batchMaxBytes) this.seal();
    else if (!p.timer) {
      p.timer = this.o.batchMaxMs > 0 ? setTimeout(() => this.seal(p), this.o.batchMaxMs) : (setImmediate(() => this.seal(p)) as unknown as NodeJS.Timeout);
      // An idle writer commits what arrived in this tick right away; while it is busy, appends keep
      // coalescing and the batch closes when the writer is free again (see writeLoop).
      if (this.o.commitWhenIdle && !this.writing) setImmediate(() => !this.writing && this.seal(p));
    }
  }

  /** Closes the open batch (or `only` if it is still the open one) and hands it to the writer. */
  seal(only?: Pending): void {
    const p = this.open;
    if (!p || (only && p !== only)) return;
    this.open = null;
    if (p.timer) clearTimeout(p.timer);
    p.encoded = p.entries.length ? encodeBatch(p.entries, this.o.compression) : Promise.resolve(null);
    p.encoded.catch(() => undefined); // handled by the writer
    this.sealed.push(p);
    if (!this.writing) void this.writeLoop();
  }

  /** Seals the open batch and resolves once the writer has stored everything sealed. */
  async flush(): Promise<void> {
    this.seal();
    if (this.writing) await new Promise<void>((r) => this.idle.push(r));
  }

  private async writeLoop(): Promise<void> {
    this.writing = true;
    try {
      while (this.sealed.length) {
        const p = this.sealed[0]!;
        try {
          await this.store(p, await p.encoded!);
        } catch (e) {
          const err = this.refused(e);
          const behind = [...this.sealed.splice(1), ...(this.open ? [this.open] : [])];
          if (this.open?.timer) clearTimeout(this.open.timer);
          this.open = null;
          for (const q of [p, ...behind]) for (const w of q.waiters) w.reject(err);
        }
        this.sealed.shift();
        if (!this.sealed.length && this.open && this.o.commitWhenIdle) this.seal();
      }
    } finally {
      this.writing = false;
      for (const f of this.idle.splice(0)) f();
    }
  }
}
