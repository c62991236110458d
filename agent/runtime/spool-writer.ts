// The last stage before the spool: encodes each batch's events ONCE to NDJSON, filed under the routing
// group its sinks need, and appends entries + the batch's checkpoints in one spool transaction. Appends
// are pipelined (the spool coalesces them into one commit) with a bound on bytes in flight; when the
// spool is full (when_full: block) appends stop resolving, this stage stops taking input and the
// bounded channels in front of it make the sources wait. A batch's ack fires once its commit is durable.
import { NdjsonEncoder } from '../../core/codec.js';
import { Channel } from '../../core/channel.js';
import type { LogEvent } from '../../core/event.js';
import type { Logger } from '../../core/telemetry/logger.js';
import type { Metrics } from '../../core/telemetry/metrics.js';
import type { Spool } from '../../spool/spool.js';
import type { SpoolEntry } from '../../spool/types.js';
import { Grouper, SINKS_KEY } from '../routing.js';
import { settle, type Done, type FlowBatch } from './flow.js';

/** Events from one stage, for these sinks. */
export interface WriterItem {
  batch: FlowBatch;
  /** Index into the writer's route table (which sinks, which fields). */
  route: number;
}

export interface Route {
  sinks: string[];
  fields: string[];
}

/** Entries are cut at about this size (the spool refuses entries over its max_entry_bytes). */
const ENTRY_BYTES = 1 << 20;

export class SpoolWriter {
  readonly input: Channel<WriterItem>;
  private readonly groupers: Grouper[];
  private inflight: { p: Promise<void> }[] = [];
  private inflightBytes = 0;
  private readonly m;
  private readonly encoder = new NdjsonEncoder();

  constructor(
    private readonly spool: Spool,
    routes: Route[],
    allSinks: string[],
    private readonly log: Logger,
    metrics: Metrics,
    private readonly maxInflightBytes: number,
    channelEvents: number,
  ) {
    const everyone = [...allSinks].sort().join(',');
    this.groupers = routes.map((r) => {
      const key = [...r.sinks].sort().join(',');
      return new Grouper(r.fields, key === everyone ? {} : { [SINKS_KEY]: key });
    });
    this.input = new Channel<WriterItem>({ capacity: channelEvents, weigh: (i) => Math.max(1, i.batch.events.length) });
    const l = { component: 'spool_writer' };
    this.m = {
      events: metrics.counter('flowlog_spool_writer_events_total', 'Events encoded and appended to the spool', l),
      bytes: metrics.counter('flowlog_spool_writer_bytes_total', 'NDJSON bytes appended to the spool', l),
      errors: metrics.counter('flowlog_spool_writer_errors_total', 'Spool appends that failed', l),
      encodeSeconds: metrics.counter('flowlog_spool_writer_encode_seconds_total', 'CPU time spent encoding events to NDJSON', l),
      inflight: metrics.gauge('flowlog_spool_writer_inflight_bytes', 'Encoded bytes handed to the spool and not yet durable', l),
      queued: metrics.gauge('flowlog_channel_queued_events', 'Events waiting in a stage input channel', { component: 'spool_writer' }),
    };
    metrics.onCollect('flowlog_spool_writer_inflight_bytes', () => this.m.inflight.set(this.inflightBytes));
  }

  /** Runs until the input is closed and drained and every append settled. Rejects on a failed append. */
  async run(): Promise<void> {
    let failure: unknown = null;
    for await (const item of this.input) {
      this.m.queued.set(this.input.usedWeight);
      if (failure) throw failure;
      const done = settle(item.batch.completion);
      const t0 = process.hrtime.bigint();
      const entries = this.encode(item.batch.events, this.groupers[item.route]!);
      this.m.encodeSeconds.inc(Number(process.hrtime.bigint() - t0) / 1e9);
      const checkpoints = done?.checkpoints ?? [];
      let bytes = 0;
      for (const e of entries) bytes += e.payload.length;
      let p: Promise<void>;
      if (entries.length === 0 && checkpoints.length === 0) {
        // nothing to store: the ack waits for everything before it
        p = this.inflight.length ? this.inflight[this.inflight.length - 1]!.p : Promise.resolve();
      } else {
        p = this.spool.append(entries, checkpoints);
        this.m.events.inc(item.batch.events.length);
        this.m.bytes.inc(bytes);
      }
      this.inflightBytes += bytes;
      const tracked = p.then(
        () => {
          this.inflightBytes -= bytes;
          ack(done, 'delivered');
        },
        (e) => {
          this.inflightBytes -= bytes;
          failure ??= e;
          this.m.errors.inc();
          ack(done, 'rejected', e);
          throw e;
        },
      );
      tracked.catch(() => undefined);
      this.inflight.push({ p: tracked });
      while (this.inflight.length && (this.inflightBytes > this.maxInflightBytes || this.inflight.length > 256)) await this.shift();
    }
    while (this.inflight.length) await this.shift();
    if (failure) throw failure;
  }

  private async shift(): Promise<void> {
    await this.inflight.shift()!.p;
  }

  private encode(events: LogEvent[], grouper: Grouper): SpoolEntry[] {
    const out: SpoolEntry[] = [];
    const enc = this.encoder;
    for (const [group, evs] of grouper.split(events)) {
      for (let i = 0; i < evs.length; i++) {
        enc.add(evs[i]!);
        if (enc.bytes >= ENTRY_BYTES) out.push({ group, ...enc.take() });
      }
      if (enc.count) out.push({ group, ...enc.take() });
    }
    return out;
  }
}

function ack(done: Done | null, status: 'delivered' | 'rejected', e?: Error): void {
  if (!done?.ack) return;
  try {
    done.ack(status, e);
  } catch {
    /* a source's ack hook must not break the writer */
  }
}
