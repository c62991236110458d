// Routes each batch from the sources to the sinks. Per sink, a matcher decides which records it gets
// (routes/config.ts); each sink receives one sub-batch per source batch that has records for it. The
// source batch is acknowledged once every sub-batch is: delivered only when all sinks delivered;
// records a sink rejected (one by one, or its whole sub-batch) are handed to `onRejected` (the dead
// letter), whose completion the source batch also waits for.
import type { AckStatus } from '../core/component.js';
import type { LogEvent } from '../core/event.js';
import { compileCondition, type Matcher } from './routes/matcher.js';
import type { RoutesConfig } from './routes/config.js';
import type { AggBatch } from './types.js';

export interface RejectedRecord {
  event: LogEvent;
  topic?: string;
  partition?: number;
  offset: number | undefined;
  sink: string;
  reason: string;
}

export interface SinkPort {
  name: string;
  send(batch: AggBatch): Promise<unknown>;
  /** The sink reads undecoded message values (`AggBatch.raw`) when it gets a whole source batch. */
  acceptsRaw?: boolean;
}

/** Per sink: undefined = every record; otherwise the OR of its routes' conditions. */
export function sinkMatchers(routes: RoutesConfig | undefined, sinks: string[]): Map<string, Matcher | undefined> {
  const bySink = new Map<string, Matcher[]>();
  const all = () => true;
  for (const r of Object.values(routes ?? {})) {
    const m = r.condition ? compileCondition(r.condition) : all;
    for (const s of r.sinks) {
      const list = bySink.get(s) ?? [];
      list.push(m);
      bySink.set(s, list);
    }
  }
  const out = new Map<string, Matcher | undefined>();
  for (const s of sinks) {
    const ms = bySink.get(s);
    if (!ms) out.set(s, undefined);
    else if (ms.includes(all)) out.set(s, undefined);
    else out.set(s, ms.length === 1 ? ms[0] : (e) => ms.some((m) => m(e)));
  }
  return out;
}

export class Router {
  /** Whether batches must be decoded before routing: a sink has a condition, or takes only events. */
  private readonly needEvents: boolean;

  constructor(
    private readonly sinks: SinkPort[],
    private readonly matchers: Map<string, Matcher | undefined>,
    private readonly onRejected: (records: RejectedRecord[]) => Promise<void>,
    private readonly counters: { routed: (sink: string, n: number) => void; unrouted: (n: number) => void },
  ) {
    this.needEvents = sinks.some((p) => !p.acceptsRaw || matchers.get(p.name) !== undefined);
  }

  /**
   * Sends the batch's records to their sinks (awaiting each sink's bounded input); `batch.ack` fires once
   * all are settled. When every sink takes the whole batch and reads raw values, the batch is passed on
   * undecoded (its `events` fill in only if a sink calls `decode()`).
   */
  async route(batch: AggBatch): Promise<void> {
    if (this.needEvents) batch.decode?.();
    const raw = this.needEvents ? undefined : batch.raw;
    const subs: { port: SinkPort; events: LogEvent[]; offsets: number[]; times: number[]; bytes: number }[] = [];
    const n = batch.events.length;
    const perEventBytes = n > 0 ? (batch.bytes ?? 0) / n : 0;
    const hit = new Uint8Array(n);
    for (const port of this.sinks) {
      const m = this.matchers.get(port.name);
      if (m === undefined) {
        subs.push({ port, events: batch.events, offsets: batch.origin?.offsets ?? [], times: batch.origin?.kafkaTimes ?? [], bytes: batch.bytes ?? 0 });
        hit.fill(1);
        continue;
      }
      const events: LogEvent[] = [];
      const offsets: number[] = [];
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        if (m(batch.events[i]!)) {
          events.push(batch.events[i]!);
          if (batch.origin) offsets.push(batch.origin.offsets[i]!);
          if (batch.origin?.kafkaTimes) times.push(batch.origin.kafkaTimes[i]!);
          hit[i] = 1;
        }
      }
      if (events.length > 0) subs.push({ port, events, offsets, times, bytes: perEventBytes * events.length });
    }
    let unrouted = 0;
    for (let i = 0; i < n; i++) if (!hit[i]) unrouted++;
    if (unrouted) this.counters.unrouted(unrouted);

    let pending = subs.length;
    const rejected: RejectedRecord[] = [];
    let finalStatus: AckStatus = 'delivered';
    let finalError: Error | undefined;
    const settle = () => {
      if (--pending > 0) return;
      const done = () => batch.ack?.(finalStatus, finalError);
      if (rejected.length === 0) return done();
      this.onRejected(rejected).then(done, (e: Error) => {
        finalStatus = 'rejected';
        finalError = e;
        done();
      });
    };
    if (subs.length === 0) {
      batch.ack?.('delivered');
      return;
    }
    for (const s of subs) {
      let acked = false;
      const local: RejectedRecord[] = [];
      // a whole-batch sub shares the batch's arrays, so decode() fills them for it too
      const whole = raw !== undefined && s.events === batch.events;
      const sub: AggBatch = {
        events: s.events,
        bytes: s.bytes,
        ...(whole ? { raw, decode: batch.decode } : {}),
        origin: batch.origin ? { topic: batch.origin.topic, partition: batch.origin.partition, offsets: s.offsets, kafkaTimes: s.times } : undefined,
        rejectEvent: (i, reason) => {
          local.push({ event: s.events[i]!, topic: batch.origin?.topic, partition: batch.origin?.partition, offset: s.offsets[i], sink: s.port.name, reason });
        },
        ack: (status, err) => {
          if (acked) return;
          acked = true;
          if (status === 'rejected') {
            // the whole sub-batch failed for good: every record not already rejected one by one
            if (whole) batch.decode?.();
            const already = new Set(local.map((r) => r.event));
            for (let i = 0; i < s.events.length; i++) {
              if (!already.has(s.events[i]!)) local.push({ event: s.events[i]!, topic: batch.origin?.topic, partition: batch.origin?.partition, offset: s.offsets[i], sink: s.port.name, reason: err?.message ?? 'rejected' });
            }
          }
          rejected.push(...local);
          this.counters.routed(s.port.name, s.events.length || (whole ? (raw.eventCount ?? 0) : 0));
          settle();
        },
      };
      await s.port.send(sub);
    }
  }
}

