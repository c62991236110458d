// Per-partition offset tracking: Kafka batches are acknowledged out of order (each sink at its own
// pace), but the committed offset of a partition only moves past a batch once it and every batch
// before it were acknowledged. Also counts the bytes in flight for backpressure.

export interface PendingBatch {
  lastOffset: number;
  bytes: number;
  done: boolean;
  owner: PartitionOffsets;
}

export class PartitionOffsets {
  private readonly queue: PendingBatch[] = [];
  /** Next offset to commit (last fully acknowledged + 1), or -1 when nothing new. */
  private commitable = -1;
  private committed = -1;

  add(lastOffset: number, bytes: number): PendingBatch {
    const b: PendingBatch = { lastOffset, bytes, done: false, owner: this };
    this.queue.push(b);
    return b;
  }

  /** Marks a batch done; returns the bytes it released. */
  complete(b: PendingBatch): number {
    b.done = true;
    while (this.queue.length > 0 && this.queue[0]!.done) {
      this.commitable = this.queue.shift()!.lastOffset + 1;
    }
    return b.bytes;
  }

  /** The offset to commit if it moved since the last call, else undefined. */
  takeCommit(): number | undefined {
    if (this.commitable < 0 || this.commitable === this.committed) return undefined;
    return this.commitable;
  }

  markCommitted(offset: number): void {
    if (offset > this.committed) this.committed = offset;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Bytes of batches not yet done. */
  get pendingBytes(): number {
    let n = 0;
    for (const b of this.queue) if (!b.done) n += b.bytes;
    return n;
  }
}

export class OffsetTracker {
  private readonly parts = new Map<string, PartitionOffsets>();
  inflightBytes = 0;

  private key(topic: string, partition: number) {
    return `${topic}\u0000${partition}`;
  }

  add(topic: string, partition: number, lastOffset: number, bytes: number): PendingBatch {
    const k = this.key(topic, partition);
    let p = this.parts.get(k);
    if (!p) this.parts.set(k, (p = new PartitionOffsets()));
    this.inflightBytes += bytes;
    return p.add(lastOffset, bytes);
  }

  complete(topic: string, partition: number, b: PendingBatch): void {
    const p = this.parts.get(this.key(topic, partition));
    // a batch of a partition that was revoked (and forgotten) since commits nothing
    if (!p || b.done || b.owner !== p) return;
    this.inflightBytes -= p.complete(b);
  }

  /** Offsets ready to commit, as kafkajs wants them. */
  takeCommits(): { topic: string; partition: number; offset: string }[] {
    const out: { topic: string; partition: number; offset: string }[] = [];
    for (const [k, p] of this.parts) {
      const o = p.takeCommit();
      if (o === undefined) continue;
      const [topic, partition] = k.split('\u0000') as [string, string];
      out.push({ topic, partition: Number(partition), offset: String(o) });
    }
    return out;
  }

  markCommitted(commits: { topic: string; partition: number; offset: string }[]): void {
    for (const c of commits) this.parts.get(this.key(c.topic, c.partition))?.markCommitted(Number(c.offset));
  }

  /** Batches not yet acknowledged, over all partitions. */
  get pendingBatches(): number {
    let n = 0;
    for (const p of this.parts.values()) n += p.pending;
    return n;
  }

  /** Forgets partitions this member no longer owns (after a rebalance their acks commit nothing). */
  forget(keep: (topic: string, partition: number) => boolean): void {
    for (const [k, p] of this.parts) {
      const [topic, partition] = k.split('\u0000') as [string, string];
      if (keep(topic, Number(partition))) continue;
      this.inflightBytes -= p.pendingBytes;
      this.parts.delete(k);
    }
  }
}
