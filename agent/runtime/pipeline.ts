// One running generation of the agent: sources → transforms → spool writer → spool → sinks, with
// bounded channels and awaited sends between stages. `stop` shuts it down in order: sources stop and
// flush, transforms drain into the spool writer, every append becomes durable, then sinks either
// drain the spool until a deadline (shutdown) or stop at once (reload; what they had not acked stays).
import { Channel } from '../../core/channel.js';
import type { ComponentContext, EventBatch, Output } from '../../core/component.js';
import type { LoadedConfig } from '../../core/config/load.js';
import type { LogEvent } from '../../core/event.js';
import { describeError } from '../../core/errors.js';
import type { Logger } from '../../core/telemetry/logger.js';
import type { Metrics } from '../../core/telemetry/metrics.js';
import { Spool } from '../../spool/spool.js';
import { spoolOptions, SPOOL_DEFAULTS } from '../../spool/config.js';
import { coalesce, fanOut, type FlowBatch, type Target } from './flow.js';
import { isSpoolSink, runPlainSink, SpoolFeed } from './sink-runner.js';
import { SpoolWriter } from './spool-writer.js';
import { buildTopology, type Topology } from './topology.js';

/** A transform takes the batches queued for it merged up to this many events (the WASM runtime's max_batch default). */
const COALESCE_MAX_EVENTS = 4096;

/** Events a stage's input channel holds before its senders wait. */
export const CHANNEL_EVENTS = 4096;

export interface HealthReport {
  status: 'ok' | 'degraded';
  sinks: Record<string, boolean>;
  spool: { records: number; bytes: number; stored_bytes: number };
}

export class Pipeline {
  readonly spool: Spool;
  private readonly topo: Topology;
  private readonly sourceAc = new AbortController();
  private readonly sinkAc = new AbortController();
  private readonly writer: SpoolWriter;
  private readonly feeds = new Map<string, SpoolFeed>();
  private readonly channels = new Map<string, Channel<FlowBatch>>();
  private readonly upstream = new Map<string, number>();
  private sourcesDone!: Promise<void>;
  private transformsDone!: Promise<void>;
  private writerDone!: Promise<void>;
  private sinksDone!: Promise<void>;
  private writerUpstream = 0;
  /** Set when a stage failed for good (spool append refused): the agent must stop. */
  fatal: Promise<Error>;
  private setFatal!: (e: Error) => void;

  constructor(
    readonly cfg: LoadedConfig,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.fatal = new Promise((r) => (this.setFatal = r));
    this.topo = buildTopology(cfg);
    const opts = spoolOptions(cfg.sections.spool, `${cfg.dataDir}/spool`, this.topo.sinks.map((s) => s.name));
    this.spool = Spool.open(opts, { log, metrics, knownSources: this.topo.sources.map((s) => s.name) });
    const batchBytes = opts.batchMaxBytes ?? SPOOL_DEFAULTS.batchMaxBytes;
    this.writer = new SpoolWriter(this.spool, this.topo.routes, this.topo.sinks.map((s) => s.name), log, metrics, 2 * batchBytes, CHANNEL_EVENTS);
  }

  private ctx(name: string, signal: AbortSignal): ComponentContext {
    return { name, signal, log: this.log.child({ component: name }), metrics: this.metrics, dataDir: this.cfg.dataDir };
  }

  /** The function a producer sends its output through (fan-out to transforms and/or the spool writer). */
  private targetsOf(name: string): Target {
    const e = this.topo.edges.get(name)!;
    const ts: Target[] = e.transforms.map((t) => {
      const ch = this.channels.get(t)!;
      return async (b, signal) => void (await ch.send(b, signal));
    });
    if (e.route >= 0) {
      const route = e.route;
      ts.push(async (b, signal) => void (await this.writer.input.send({ batch: b, route }, signal)));
    }
    return fanOut(ts);
  }

  /** A producer finished: close the channels it fed once all their producers finished. */
  private finished(name: string): void {
    const e = this.topo.edges.get(name)!;
    for (const t of e.transforms) {
      const left = this.upstream.get(t)! - 1;
      this.upstream.set(t, left);
      if (left === 0) this.channels.get(t)!.close();
    }
    if (e.route >= 0 && --this.writerUpstream === 0) this.writer.input.close();
  }

  start(): void {
    const { sources, transforms, sinks, edges } = this.topo;
    for (const t of transforms) {
      this.channels.set(t.name, new Channel<FlowBatch>({ capacity: CHANNEL_EVENTS, weigh: (b) => Math.max(1, b.events.length) }));
      this.upstream.set(t.name, t.inputs.length);
    }
    this.writerUpstream = [...edges.values()].filter((e) => e.route >= 0).length;

    // sinks first, so they are reading before anything is appended
    const sinkRuns = sinks.map(async (s) => {
      const feed = new SpoolFeed(this.spool, s.name);
      this.feeds.set(s.name, feed);
      const ctx = this.ctx(s.name, this.sinkAc.signal);
      for (;;) {
        try {
          if (isSpoolSink(s.sink)) await s.sink.runSpool(ctx, feed);
          else await runPlainSink(s.sink, ctx, feed);
          return;
        } catch (e) {
          this.metrics.counter('flowlog_component_errors_total', 'Stage failures (the stage is restarted)', { component: s.name, kind: 'sink' }).inc();
          this.log.error('sink failed; restarting it in 1 s', { component: s.name, error: describeError(e) });
          if (this.sinkAc.signal.aborted) return;
          await delay(1000, this.sinkAc.signal);
          if (this.sinkAc.signal.aborted) return;
          feed.rewind(); // what it had read and not acked is sent again
        }
      }
    });
    this.sinksDone = Promise.all(sinkRuns).then(() => undefined);

    this.writerDone = this.writer.run().catch((e) => {
      this.log.error('spool append failed; stopping (sources resume from their last durable checkpoint)', { error: describeError(e) });
      this.setFatal(e instanceof Error ? e : new Error(String(e)));
      // keep draining so producers never block on a dead stage
      void (async () => {
        for await (const _ of this.writer.input) void _;
      })();
    });

    this.transformsDone = Promise.all(
      transforms.map(async (t) => {
        const ch = this.channels.get(t.name)!;
        const send = this.targetsOf(t.name);
        const l = { component: t.name, kind: 'transform' };
        const evIn = this.metrics.counter('flowlog_component_received_events_total', 'Events a stage received', l);
        const evOut = this.metrics.counter('flowlog_component_sent_events_total', 'Events a stage sent downstream', l);
        const errs = this.metrics.counter('flowlog_component_errors_total', 'Stage failures (the stage is restarted)', l);
        const dropped = this.metrics.counter('flowlog_transform_failed_events_total', 'Events dropped because a transform threw on their batch', l);
        const secs = this.metrics.counter('flowlog_transform_seconds_total', 'Time spent in a transform', l);
        const queued = this.metrics.gauge('flowlog_channel_queued_events', 'Events waiting in a stage input channel', { component: t.name });
        // Up to `window` batches are in the transform at once (a worker-thread module runs one while
        // the next are encoded); results go downstream in input order.
        const window = Math.max(1, t.transform.concurrency ?? 1);
        const inflight: { b: FlowBatch; p: Promise<LogEvent[]>; t0: bigint }[] = [];
        const finish = async () => {
          const { b, p, t0 } = inflight.shift()!;
          let events: LogEvent[];
          try {
            events = await p;
          } catch (e) {
            errs.inc();
            dropped.inc(b.events.length);
            this.log.once(`transform:${t.name}:${describeError(e)}`, 'error', 'transform failed on a batch; its events were dropped (counted)', {
              component: t.name,
              error: describeError(e),
            });
            events = [];
          }
          secs.inc(Number(process.hrtime.bigint() - t0) / 1e9);
          evOut.inc(events.length);
          if (events.length || b.completion) await send({ events, completion: b.completion });
        };
        for (;;) {
          // deliver the oldest result when the window is full, or when no input is waiting
          if (inflight.length && (inflight.length >= window || ch.length === 0)) {
            await finish();
            continue;
          }
          const first = await ch.recv();
          if (first === undefined) break;
          const b = coalesce(first, ch, COALESCE_MAX_EVENTS);
          queued.set(ch.usedWeight);
          evIn.inc(b.events.length);
          const t0 = process.hrtime.bigint();
          let p: Promise<LogEvent[]>;
          try {
            p = Promise.resolve(b.events.length ? t.transform.process(b.events) : b.events);
          } catch (e) {
            p = Promise.reject(e as Error);
          }
          p.catch(() => undefined); // awaited by finish()
          inflight.push({ b, p, t0 });
        }
        while (inflight.length) await finish();
        await t.transform.close?.();
        this.finished(t.name);
      }),
    ).then(() => undefined);

    this.sourcesDone = Promise.all(
      sources.map(async (s) => {
        const send = this.targetsOf(s.name);
        const l = { component: s.name, kind: 'source' };
        const evOut = this.metrics.counter('flowlog_component_sent_events_total', 'Events a stage sent downstream', l);
        const errs = this.metrics.counter('flowlog_component_errors_total', 'Stage failures (the stage is restarted)', l);
        const signal = this.sourceAc.signal;
        const out: Output<EventBatch> = {
          async send(b, sig) {
            evOut.inc(b.events.length);
            const completion = b.checkpoints?.length || b.ack ? { checkpoints: b.checkpoints ?? [], ack: b.ack } : undefined;
            await send({ events: b.events, completion }, sig);
            return true;
          },
        };
        for (let attempt = 1; ; attempt++) {
          try {
            await s.source.run({ ...this.ctx(s.name, signal), out, checkpoints: this.spool.checkpoints(s.name) });
            break;
          } catch (e) {
            if (signal.aborted) break;
            errs.inc();
            const wait = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
            this.log.error('source failed; restarting it from its last durable checkpoint', { component: s.name, error: describeError(e), retry_in_ms: wait });
            await delay(wait, signal);
            if (signal.aborted) break;
          }
        }
        this.finished(s.name);
      }),
    ).then(() => undefined);
  }

  /** Resolves when every source returned on its own (end of input). */
  get sourcesFinished(): Promise<void> {
    return this.sourcesDone;
  }

  health(): HealthReport {
    const sinks: Record<string, boolean> = {};
    let allUp = true;
    for (const s of this.topo.sinks) {
      const up = s.sink.healthy?.() ?? true;
      sinks[s.name] = up;
      allUp &&= up;
    }
    const st = { records: 0, bytes: 0, stored_bytes: this.spool.storedBytes };
    try {
      const s = this.spool.stats();
      st.records = s.records;
      st.bytes = s.bytes;
    } catch {
      /* closed */
    }
    return { status: !allUp && st.records > 0 ? 'degraded' : 'ok', sinks, spool: st };
  }

  /**
   * Stops in order. drain: sinks keep sending until the spool is empty or `deadline` (ms since epoch);
   * otherwise sinks stop right after the spool writer settled.
   */
  async stop(opts: { drain: boolean; deadline: number }): Promise<{ clean: boolean }> {
    const until = (p: Promise<unknown>) => raceDeadline(p, opts.deadline);
    this.sourceAc.abort();
    let clean = await until(this.sourcesDone);
    clean = (await until(this.transformsDone)) && clean;
    clean = (await until(this.writerDone)) && clean;
    for (const f of this.feeds.values()) f.endOfInput();
    if (!opts.drain) this.sinkAc.abort();
    const drained = await until(this.sinksDone);
    if (!drained) {
      this.sinkAc.abort();
      // an in-flight produce request finishes or times out; do not wait for it past a few seconds
      await raceDeadline(this.sinksDone, Date.now() + 3000);
    }
    await this.spool.close();
    const left = this.spool.stats();
    if (left.records > 0) this.log.info('records left in the spool for the next start', { records: left.records, bytes: left.bytes });
    return { clean: clean && drained };
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

async function raceDeadline(p: Promise<unknown>, deadline: number): Promise<boolean> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => (t = setTimeout(() => r(false), Math.max(0, deadline - Date.now()))));
  try {
    return await Promise.race([p.then(() => true as const), timeout]);
  } finally {
    clearTimeout(t);
  }
}

