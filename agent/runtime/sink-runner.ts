// Runs a sink off the spool. Sinks that read the spool themselves (the Kafka sink) get a BatchSource
// over it; other sinks (console) get the events decoded back into batches through a bounded channel.
// Either way a spool batch is acked for that sink only after the sink acknowledged all of it.
import { Channel } from '../../core/channel.js';
import { decodeMessage } from '../../core/codec.js';
import type { ComponentContext, EventBatch, Sink } from '../../core/component.js';
import { FlowlogError, isFlowlogError } from '../../core/errors.js';
import type { Spool } from '../../spool/spool.js';
import type { SpoolBatch } from '../../spool/types.js';
import type { BatchSource } from '../sinks/kafka/sink.js';
import { groupIsFor, parseGroup } from '../routing.js';

export interface SpoolSink extends Sink {
  readonly routeFields: readonly string[];
  runSpool(ctx: ComponentContext, src: BatchSource): Promise<void>;
}

export function isSpoolSink(s: Sink): s is SpoolSink {
  return typeof (s as Partial<SpoolSink>).runSpool === 'function';
}

/** A sink's view of the spool: reads after the last batch handed out, only the entries meant for it. */
export class SpoolFeed implements BatchSource {
  private lastRead = 0;
  private inputDone = false;
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly spool: Spool,
    private readonly consumer: string,
  ) {}

  /** Reads again from the oldest unacked batch (after a sink failed with batches read but not acked). */
  rewind(): void {
    this.lastRead = 0;
  }

  /** No more appends will come (shutdown): `finished` turns true once everything was read. */
  endOfInput(): void {
    this.inputDone = true;
    for (const w of [...this.wakers]) w();
  }

  get finished(): boolean {
    return this.inputDone && this.spool.lastBatchId <= this.lastRead;
  }

  read(maxBytes: number): SpoolBatch[] {
    const out: SpoolBatch[] = [];
    let bytes = 0;
    while (bytes < maxBytes) {
      let got: SpoolBatch[];
      try {
        got = this.spool.read(this.consumer, 1, this.lastRead);
      } catch (e) {
        if (isFlowlogError(e, 'SPOOL_CLOSED')) return out;
        throw e;
      }
      const b = got[0];
      if (!b) {
        // Nothing unread: every batch up to the spool's newest id is acked by this consumer (after a
        // restart those ids are from the last run). Move past them, or `finished` could never turn
        // true and wait() would return at once forever. A damaged batch the read just removed leaves
        // later batches unread: then the position stays and the next read gets them.
        try {
          if (!this.spool.hasUnread(this.consumer, this.lastRead)) this.lastRead = Math.max(this.lastRead, this.spool.lastBatchId);
        } catch (e) {
          if (!isFlowlogError(e, 'SPOOL_CLOSED')) throw e;
        }
        break;
      }
      this.lastRead = b.id;
      const mine = b.entries.filter((e) => groupIsFor(parseGroup(e.group), this.consumer));
      out.push(mine.length === b.entries.length ? b : { ...b, entries: mine });
      bytes += b.bytes;
    }
    return out;
  }

  async wait(signal: AbortSignal, timeoutMs: number): Promise<void> {
    if (signal.aborted) return;
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), timeoutMs);
    const onAbort = () => ac.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.wakers.add(onAbort);
    try {
      if (!this.inputDone) await this.spool.waitForData(ac.signal, this.lastRead);
      // never a loop of resolved promises: timers and I/O (the shutdown deadline among them) run
      else await new Promise((r) => setImmediate(r));
    } finally {
      this.wakers.delete(onAbort);
      clearTimeout(t);
      signal.removeEventListener('abort', onAbort);
      ac.abort(); // releases the spool's waiter
    }
  }

  ack(batches: readonly SpoolBatch[]): void {
    if (batches.length === 0) return;
    try {
      this.spool.ack(this.consumer, batches.map((b) => b.id));
    } catch (e) {
      // a closed spool keeps the batch: it is sent again after restart (at-least-once)
      if (!isFlowlogError(e, 'SPOOL_CLOSED')) throw e;
    }
  }
}

/** Feeds a plain Sink decoded events from the spool and acks spool batches in order as the sink acks them. */
export async function runPlainSink(sink: Sink, ctx: ComponentContext, feed: SpoolFeed): Promise<void> {
  const input = new Channel<EventBatch>({ capacity: 4 });
  const done = sink.run({ ...ctx, input });
  const pump = (async () => {
    try {
      while (!ctx.signal.aborted) {
        const batches = feed.read(1 << 20);
        if (batches.length === 0) {
          if (feed.finished) return;
          await feed.wait(ctx.signal, 1000);
          continue;
        }
        for (const b of batches) {
          const events = [];
          for (const e of b.entries) {
            const r = decodeMessage(e.payload, b.createdMs);
            for (const ev of r.events) events.push(ev);
            for (const err of r.errors) ctx.log.once(`decode:${err.reason}`, 'warn', 'a spooled record could not be decoded', { reason: err.reason });
          }
          await input.send(
            {
              events,
              ack: (status) => {
                if (status !== 'rejected') feed.ack([b]);
              },
            },
            ctx.signal,
          );
        }
      }
    } catch (e) {
      if (!(e instanceof FlowlogError && e.code === 'FLOWLOG_ABORTED')) throw e;
    } finally {
      input.close();
    }
  })();
  await Promise.all([pump, done]);
}
