// The Kafka sink. In the agent it reads batches from the spool (already NDJSON, grouped by the values
// its templates need), cuts them into messages without parsing JSON, sends them with an idempotent
// acks=all producer and acknowledges a spool batch only after Kafka acknowledged every record in it.
// Failures back off exponentially with jitter (no spinning, nothing dropped); records Kafka can never
// take go to the dead-letter file. It also implements the plain Sink contract (events in memory).
import { join } from 'node:path';
import type { Message } from 'kafkajs';
import { NdjsonEncoder } from '../../../core/codec.js';
import type { BuildEnv, ComponentContext, Sink, SinkContext } from '../../../core/component.js';
import { FlowlogError, describeError } from '../../../core/errors.js';
import type { SpoolBatch, SpoolEntry } from '../../../spool/types.js';
import { Grouper, parseGroup } from '../../routing.js';
import type { KafkaSinkConfig } from './config.js';
import { DeadLetterFile, type DeadRecord } from './dead-letter.js';
import { frame, type FramedValue } from './framing.js';
import { KafkaProducer, classifyError, type Producer, type TopicMessages } from './producer.js';
import { ThreadProducer } from './producer-thread.js';
import { parseTemplate, sanitizeTopic, type Template } from './template.js';

/** kafkajs groups messages per partition quadratically: never more than this many per send. */
export const MAX_MESSAGES_PER_SEND = 2000;

/** The request size never shrinks below this after the broker refused requests as too large. */
const MIN_REQUEST_CAP = 64 * 1024;
/** Requests acknowledged in a row before a lowered request cap is raised by a quarter again. */
const CAP_RAISE_AFTER = 64;

/** Where the sink takes its batches from (the agent adapts the spool to this). */
export interface BatchSource {
  /** Batches not yet handed out, up to about maxBytes (at least one when any is waiting). */
  read(maxBytes: number): SpoolBatch[];
  /** Resolves when data may be waiting, after timeoutMs, or on abort. */
  wait(signal: AbortSignal, timeoutMs: number): Promise<void>;
  /** Marks batches delivered (removes them from the spool), in one transaction. Called in id order. */
  ack(batches: readonly SpoolBatch[]): void;
  /** True once no more batches will arrive and everything was read (shutdown drain). */
  readonly finished: boolean;
}

interface Pending {
  topic: string;
  message: Message;
  count: number;
}

export class KafkaSink implements Sink {
  readonly routeFields: readonly string[];
  private readonly topic: Template;
  private readonly headers: [string, Template][];
  private producer: Producer | null = null;
  private up = true;
  private m!: ReturnType<KafkaSink['makeMetrics']>;
  private dead!: DeadLetterFile;
  private log!: ComponentContext['log'];
  /**
   * Uncompressed bytes per request now. The broker checks its message.max.bytes against the
   * *compressed* batch of each partition, which the sink cannot know in advance: when the broker
   * refuses a request as too large, the request is split and later ones are capped at half its size,
   * then raised back towards batch.max_bytes while requests go through.
   */
  private requestCap: number;
  private okSinceShrink = 0;

  constructor(
    private readonly cfg: KafkaSinkConfig,
    private readonly env: BuildEnv,
  ) {
    this.topic = parseTemplate(cfg.topic);
    this.headers = Object.entries(cfg.headers).map(([k, v]) => [k, parseTemplate(v)]);
    const fields = new Set<string>(this.topic.fields);
    if (cfg.key_field) fields.add(cfg.key_field);
    for (const [, t] of this.headers) for (const f of t.fields) fields.add(f);
    this.routeFields = [...fields].sort();
    this.requestCap = cfg.batch.max_bytes;
  }

  healthy(): boolean {
    return this.up;
  }

  private makeMetrics(ctx: ComponentContext) {
    const l = { component: ctx.name };
    const m = ctx.metrics;
    return {
      events: m.counter('flowlog_sink_events_total', 'Events a sink delivered', l),
      messages: m.counter('flowlog_sink_messages_total', 'Kafka messages acknowledged by the brokers', l),
      bytes: m.counter('flowlog_sink_sent_bytes_total', 'Uncompressed message value bytes acknowledged by Kafka', l),
      requests: m.counter('flowlog_sink_requests_total', 'Produce requests (sendBatch calls) that succeeded', l),
      requestSeconds: m.histogram('flowlog_sink_request_seconds', 'Time from produce request to acknowledgement', l),
      retries: m.counter('flowlog_sink_retries_total', 'Failed produce attempts that were retried after a backoff', l),
      batches: m.counter('flowlog_sink_batches_acked_total', 'Spool batches acknowledged after full delivery', l),
      deadEvents: m.counter('flowlog_sink_dead_letter_events_total', 'Events written to the dead-letter file', l),
      deadBytes: m.counter('flowlog_sink_dead_letter_bytes_total', 'Bytes written to the dead-letter file', l),
      up: m.gauge('flowlog_sink_up', '1 when the last produce attempt succeeded, 0 while retrying', l),
      cap: m.gauge('flowlog_sink_request_cap_bytes', 'Uncompressed bytes per produce request now (lowered after the broker refused a request as too large)', l),
    };
  }

  private start(ctx: ComponentContext): void {
    this.log = ctx.log;
    this.m = this.makeMetrics(ctx);
    this.m.up.set(1);
    this.m.cap.set(this.requestCap);
    const path = this.cfg.dead_letter.path ?? join(ctx.dataDir, ctx.name, 'dead-letter.ndjson');
    this.dead = new DeadLetterFile(path, this.m.deadEvents, this.m.deadBytes);
    this.producer = this.cfg.producer_thread
      ? new ThreadProducer(this.cfg, this.env.configDir, ctx.log)
      : new KafkaProducer(this.cfg, this.env.configDir, ctx.log.child({ client: 'kafkajs' }));
  }

  private async stop(): Promise<void> {
    await this.producer?.close();
    this.dead?.close();
  }

  /** Agent mode: consume the spool until `ctx.signal` aborts or the source is finished. */
  async runSpool(ctx: ComponentContext, src: BatchSource): Promise<void> {
    this.start(ctx);
    const { max_bytes, timeout_ms } = this.cfg.batch;
    try {
      let next: SpoolBatch[] = [];
      while (!ctx.signal.aborted) {
        const prefetched = next.length > 0;
        let batches = prefetched ? next : src.read(max_bytes);
        next = [];
        if (batches.length === 0) {
          if (src.finished) return;
          await src.wait(ctx.signal, 1000);
          continue;
        }
        const bytes = batches.reduce((s, b) => s + b.bytes, 0);
        if (!prefetched && bytes < max_bytes && timeout_ms > 0 && !src.finished) {
          // linger: give small batches a moment to fill the request
          await src.wait(ctx.signal, timeout_ms);
          const more = src.read(max_bytes - bytes);
          if (more.length) batches = batches.concat(more);
        }
        const sending = this.deliver(batches, ctx.signal);
        sending.catch(() => undefined);
        // read (and decompress) the next batches while Kafka works on these; unacked, they stay in
        // the spool if this process stops
        if (bytes >= max_bytes) next = src.read(max_bytes);
        await sending;
        src.ack(batches);
        this.m.batches.inc(batches.length);
      }
    } catch (e) {
      if (!(e instanceof FlowlogError && e.code === 'FLOWLOG_ABORTED')) throw e;
    } finally {
      await this.stop();
    }
  }

  /** Plain Sink contract: events from an in-memory input, encoded here. */
  async run(ctx: SinkContext): Promise<void> {
    this.start(ctx);
    const grouper = new Grouper(this.routeFields);
    const encoder = new NdjsonEncoder();
    let id = 0;
    try {
      for await (const b of ctx.input) {
        const entries: SpoolEntry[] = grouper.split(b.events).map(([group, events]) => {
          for (const e of events) encoder.add(e);
          return { group, ...encoder.take() };
        });
        const batch: SpoolBatch = { id: ++id, entries, records: b.events.length, bytes: 0, createdMs: Date.now() };
        try {
          await this.deliver([batch], ctx.signal);
          b.ack?.('delivered');
        } catch (e) {
          b.ack?.('rejected', e as Error);
          throw e;
        }
      }
    } finally {
      await this.stop();
    }
  }

  /** Sends every record of these batches; resolves only when Kafka acknowledged (or dead-lettered) all. */
  async deliver(batches: readonly SpoolBatch[], signal: AbortSignal): Promise<void> {
    const fopts = { method: this.cfg.framing, eventsPerMessage: this.cfg.events_per_message, maxBytes: this.cfg.max_message_bytes };
    const requests: Pending[][] = [];
    const cap = this.requestCap;
    let pending: Pending[] = [];
    let pendingBytes = 0;
    const values: FramedValue[] = [];
    const oversized: Buffer[] = [];
    for (const batch of batches) {
      for (const entry of batch.entries) {
        const g = parseGroup(entry.group);
        const topic = sanitizeTopic(this.topic.render(g) ?? this.cfg.default_topic ?? this.cfg.topic);
        const key = this.cfg.key_field ? (g[this.cfg.key_field] ?? null) : null;
        let headers: Message['headers'];
        if (this.headers.length) {
          headers = {};
          for (const [k, t] of this.headers) {
            const v = t.render(g);
            if (v !== null) headers[k] = v;
          }
        }
        values.length = 0;
        oversized.length = 0;
        frame(entry.payload, fopts, values, oversized);
        if (oversized.length) {
          this.dead.write(oversized.map((value) => ({ topic, key, reason: `larger than max_message_bytes (${this.cfg.max_message_bytes})`, value })));
          this.log.once(`oversized:${topic}`, 'warn', 'records larger than max_message_bytes went to the dead-letter file', {
            topic,
            path: this.dead.path,
          });
        }
        for (const v of values) {
          if (pending.length >= MAX_MESSAGES_PER_SEND || (pending.length > 0 && pendingBytes + v.value.length > cap)) {
            requests.push(pending);
            pending = [];
            pendingBytes = 0;
          }
          pending.push({ topic, message: { key, value: v.value, headers }, count: v.count });
          pendingBytes += v.value.length;
        }
      }
    }
    if (pending.length) requests.push(pending);
    await this.sendAll(requests, signal);
  }

  /**
   * Sends the requests in order, up to the producer's maxInFlight queued at once. When one fails, the
   * ones behind it were not sent (the producer guarantees it): the failed one goes through the
   * backoff loop alone, then the pipeline resumes after it.
   */
  private async sendAll(requests: Pending[][], signal: AbortSignal): Promise<void> {
    const window = Math.max(1, this.producer!.maxInFlight);
    const inflight: { items: Pending[]; t0: bigint; error: Promise<unknown> }[] = [];
    let next = 0;
    while (next < requests.length || inflight.length) {
      while (next < requests.length && inflight.length < window) {
        const items = requests[next++]!;
        const t0 = process.hrtime.bigint();
        inflight.push({ items, t0, error: this.producer!.send(toTopicMessages(items)).then(() => null, (e: unknown) => e ?? new Error('kafka send failed')) });
      }
      const head = inflight.shift()!;
      const error = await head.error;
      if (error === null) {
        this.sent(head.items, head.t0);
        continue;
      }
      // everything queued behind the failed request comes back unsent; send it again afterwards
      for (const r of inflight) await r.error;
      const redo = inflight.splice(0).map((r) => r.items);
      requests.splice(next, 0, ...redo);
      await this.sendWithRetry(head.items, signal, error);
    }
  }

  /** Sends one request until Kafka takes it; `failed` is the error of an attempt already made. */
  private async sendWithRetry(items: Pending[], signal: AbortSignal, failed?: unknown): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const t0 = process.hrtime.bigint();
      try {
        if (attempt === 1 && failed !== undefined) throw failed;
        await this.producer!.send(toTopicMessages(items));
      } catch (e) {
        const cls = classifyError(e);
        if (cls !== 'retry') return this.isolate(items, cls, e, signal);
        if (signal.aborted) throw new FlowlogError('ABORTED', 'kafka sink stopped while retrying', { cause: e });
        this.m.retries.inc();
        this.m.up.set(0);
        this.up = false;
        const delay = backoff(attempt, this.cfg.retry.initial_backoff_ms, this.cfg.retry.max_backoff_ms);
        if (attempt === 1 || attempt % 10 === 0) {
          this.log.warn('kafka produce failed; retrying', { attempt, retry_in_ms: Math.round(delay), error: describeError(e) });
        }
        // a producer that keeps failing may hold a stale connection or producer id: start over
        if (attempt % 3 === 0) await this.producer!.reset();
        await sleep(delay, signal);
        continue;
      }
      this.sent(items, t0, attempt);
      return;
    }
  }

  /** Counts a request Kafka acknowledged. */
  private sent(items: Pending[], t0: bigint, attempts = 1): void {
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    this.m.requestSeconds.observe(secs);
    this.m.requests.inc();
    let events = 0;
    let bytes = 0;
    for (const it of items) {
      events += it.count;
      bytes += (it.message.value as Buffer).length;
    }
    this.m.events.inc(events);
    this.m.messages.inc(items.length);
    this.m.bytes.inc(bytes);
    if (!this.up) this.log.info('kafka produce recovered', { attempts });
    if (this.requestCap < this.cfg.batch.max_bytes && ++this.okSinceShrink >= CAP_RAISE_AFTER) {
      this.okSinceShrink = 0;
      this.requestCap = Math.min(this.cfg.batch.max_bytes, Math.floor(this.requestCap * 1.25));
      this.m.cap.set(this.requestCap);
    }
    this.up = true;
    this.m.up.set(1);
  }

  /** A request Kafka refused for good: halve it until the offending records stand alone, dead-letter those. */
  private async isolate(items: Pending[], cls: 'too_large' | 'invalid', e: unknown, signal: AbortSignal): Promise<void> {
    if (items.length === 1) {
      const it = items[0]!;
      const rec: DeadRecord = {
        topic: it.topic,
        key: (it.message.key as string | null) ?? null,
        reason: cls === 'too_large' ? 'broker: message too large' : `broker refused: ${describeError(e)}`,
        value: it.message.value as Buffer,
      };
      this.dead.write([rec]);
      this.log.once(`dead:${cls}:${it.topic}`, 'warn', 'Kafka refused a record for good; it went to the dead-letter file', {
        topic: it.topic,
        reason: rec.reason,
        path: this.dead.path,
      });
      return;
    }
    if (cls === 'too_large') {
      let bytes = 0;
      for (const it of items) bytes += (it.message.value as Buffer).length;
      const cap = Math.max(MIN_REQUEST_CAP, Math.min(this.requestCap, bytes >> 1));
      if (cap < this.requestCap) {
        this.requestCap = cap;
        this.m.cap.set(cap);
        this.log.once(`cap:${cap}`, 'info', 'the broker refused a produce request as too large (message.max.bytes applies to the compressed batch); splitting it and capping requests lower for a while', {
          request_bytes: bytes,
          cap_bytes: cap,
        });
      }
      this.okSinceShrink = 0;
    }
    const mid = items.length >> 1;
    await this.sendWithRetry(items.slice(0, mid), signal);
    await this.sendWithRetry(items.slice(mid), signal);
  }
}

function toTopicMessages(items: Pending[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const it of items) {
    let list = byTopic.get(it.topic);
    if (!list) byTopic.set(it.topic, (list = []));
    list.push(it.message);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/** Exponential backoff with "equal jitter": half fixed, half random, capped. */
export function backoff(attempt: number, initialMs: number, maxMs: number): number {
  const exp = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));
  return exp / 2 + Math.random() * (exp / 2);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new FlowlogError('ABORTED', 'aborted'));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new FlowlogError('ABORTED', 'aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
