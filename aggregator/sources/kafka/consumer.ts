// The aggregator's Kafka source: a kafkajs consumer group over topics or /regex/ patterns. Each
// fetched partition batch becomes one AggBatch whose ack moves that partition's commit point
// (offsets.ts). It carries the message values undecoded (`raw`); `decode()` turns them into events
// (both framings, core/codec.ts) when the router or a sink needs events — the archive takes the values
// in bulk instead (sinks/archive/bulk.ts); offsets are committed explicitly (autoCommit off) only
// for batches every sink acknowledged. Bytes in flight past `max_inflight_bytes` pause the partition
// being read; they resume once sinks are down to half. Undecodable records go to the dead letter.
import { Kafka, logLevel, type Consumer, type EachBatchPayload, type Producer } from 'kafkajs';
import { decodeMessage } from '../../../core/codec.js';
import type { Source, SourceContext } from '../../../core/component.js';
import type { LogEvent } from '../../../core/event.js';
import { describeError } from '../../../core/errors.js';
import { DeadLetterQueue, type DeadLetter } from '../../dead-letter.js';
import { OffsetTracker } from '../../offsets.js';
import type { AggBatch } from '../../types.js';
import type { KafkaSourceConfig } from './config.js';

const EMPTY = Buffer.alloc(0);

/**
 * Decodes message values (both framings, core/codec.ts) into the given arrays; returns the dead
 * letters: empty values and lines that are not JSON events (with their line number).
 */
export function decodeValues(
  values: Buffer[],
  msgOffsets: number[],
  timestamps: number[],
  topic: string,
  partition: number,
  events: LogEvent[],
  offsets: number[],
  kafkaTimes: number[],
): DeadLetter[] {
  const dead: DeadLetter[] = [];
  for (let m = 0; m < values.length; m++) {
    const value = values[m]!;
    const offset = msgOffsets[m]!;
    if (value.length === 0) {
      dead.push({ value: '', reason: 'empty message value', topic, partition, offset });
      continue;
    }
    const ts = timestamps[m]!;
    const r = decodeMessage(value, ts);
    for (const e of r.events) {
      events.push(e);
      offsets.push(offset);
      kafkaTimes.push(ts);
    }
    if (r.errors.length > 0) {
      const lines = r.errors.length === 1 && r.events.length === 0 ? null : value.toString('utf8').split('\n');
      for (const err of r.errors) {
        dead.push({ value: lines ? lines[err.line - 1]! : value, reason: `not a JSON event (line ${err.line}): ${err.reason}`, topic, partition, offset });
      }
    }
  }
  return dead;
}

export function topicMatchers(topics: string[]): (string | RegExp)[] {
  return topics.map((t) => (t.length > 2 && t.startsWith('/') && t.endsWith('/') ? new RegExp(t.slice(1, -1)) : t));
}

export class KafkaSource implements Source {
  private consumer?: Consumer;
  private producer?: Producer;
  private readonly tracker = new OffsetTracker();
  private readonly paused = new Map<string, { topic: string; partition: number }>();
  private quiescedResolve!: () => void;
  /** Resolves once the source stopped handing out batches (after shutdown began). */
  readonly quiesced = new Promise<void>((r) => (this.quiescedResolve = r));
  private stopping = false;
  private assigned: Record<string, number[]> = {};
  private inBatch = 0;
  private commitTimer?: NodeJS.Timeout;
  private commitChain: Promise<void> = Promise.resolve();

  constructor(private readonly cfg: KafkaSourceConfig) {}

  get inflightBytes(): number {
    return this.tracker.inflightBytes;
  }

  async run(ctx: SourceContext): Promise<void> {
    const kafka = new Kafka({
      clientId: this.cfg.client_id,
      brokers: this.cfg.bootstrap_servers.split(',').map((s) => s.trim()),
      logLevel: logLevel.NOTHING,
      retry: { retries: 8 },
    });
    const log = ctx.log;
    const received = ctx.metrics.counter('flowlog_source_events_total', 'Events read by a source', { component: ctx.name });
    const bytesIn = ctx.metrics.counter('flowlog_source_bytes_total', 'Bytes read by a source', { component: ctx.name });
    const dlqCounter = ctx.metrics.counter('flowlog_dead_letter_total', 'Records sent to the dead letter', { component: ctx.name });
    const pausedGauge = ctx.metrics.gauge('flowlog_kafka_paused_partitions', 'Partitions paused for backpressure', { component: ctx.name });
    if (this.cfg.dead_letter) {
      this.producer = kafka.producer({ allowAutoTopicCreation: true, idempotent: false });
      await this.producer.connect();
    }
    const dlq = new DeadLetterQueue(this.producer, this.cfg.dead_letter?.topic, log, dlqCounter);
    this.dlq = dlq;
    const consumer = kafka.consumer({
      groupId: this.cfg.group_id,
      sessionTimeout: this.cfg.session_timeout_ms,
      heartbeatInterval: this.cfg.heartbeat_interval_ms,
      maxBytesPerPartition: this.cfg.fetch_max_bytes,
      maxBytes: this.cfg.fetch_max_bytes * 4,
      maxWaitTimeInMs: this.cfg.fetch_max_wait_ms,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assigned = e.payload.memberAssignment;
      this.assigned = assigned;
      this.tracker.forget((t, p) => (assigned[t] ?? []).includes(p));
      for (const [k, tp] of this.paused) if (!(assigned[tp.topic] ?? []).includes(tp.partition)) this.paused.delete(k);
      log.info('partitions assigned', { assignment: assigned });
    });
    consumer.on(consumer.events.CRASH, (e) => log.error('kafka consumer crashed; kafkajs restarts it', { error: describeError(e.payload.error) }));
    await consumer.connect();
    await consumer.subscribe({ topics: topicMatchers(this.cfg.topics), fromBeginning: this.cfg.auto_offset_reset === 'beginning' });

    const maxInflight = this.cfg.max_inflight_bytes;
    const maybeResume = () => {
      if (this.paused.size === 0 || this.stopping || this.tracker.inflightBytes > maxInflight / 2) return;
      const parts = [...this.paused.values()];
      this.paused.clear();
      pausedGauge.set(0);
      const byTopic = new Map<string, number[]>();
      for (const p of parts) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
      consumer.resume([...byTopic].map(([topic, partitions]) => ({ topic, partitions })));
      log.debug('partitions resumed', { count: parts.length });
    };

    const eachBatch = async (payload: EachBatchPayload) => {
      const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
      if (this.stopping || batch.messages.length === 0) return;
      this.inBatch++;
      try {
        // the message values go downstream undecoded; decode() turns them into events when a stage needs them
        const values: Buffer[] = [];
        const msgOffsets: number[] = [];
        const timestamps: number[] = [];
        let bytes = 0;
        for (const m of batch.messages) {
          const v = m.value ?? EMPTY;
          values.push(v);
          msgOffsets.push(Number(m.offset));
          timestamps.push(Number(m.timestamp));
          bytes += v.length;
        }
        if (!isRunning() || isStale()) return;
        const lastOffset = Number(batch.lastOffset());
        bytesIn.inc(bytes);
        const pending = this.tracker.add(batch.topic, batch.partition, lastOffset, bytes);
        let waits = 1;
        const done = () => {
          if (--waits > 0) return;
          this.tracker.complete(batch.topic, batch.partition, pending);
          maybeResume();
        };
        const events: LogEvent[] = [];
        const offsets: number[] = [];
        const kafkaTimes: number[] = [];
        let decoded = false;
        const decode = () => {
          if (decoded) return;
          decoded = true;
          const dead = decodeValues(values, msgOffsets, timestamps, batch.topic, batch.partition, events, offsets, kafkaTimes);
          received.inc(events.length);
          if (dead.length > 0) {
            waits++;
            dlq.send(dead).then(done, (e) => log.error('dead-letter send failed for good', { error: describeError(e) }));
          }
        };
        const agg: AggBatch = {
          events,
          bytes,
          origin: { topic: batch.topic, partition: batch.partition, offsets, kafkaTimes },
          raw: {
            values,
            offsets: msgOffsets,
            timestamps,
            counted(n) {
              this.eventCount = n;
              received.inc(n);
            },
          },
          decode,
          ack: (status, err) => {
            // rejected records were dead-lettered by the router before this ack; anything else is a bug
            if (status !== 'delivered') log.warn('batch settled without delivery', { status, error: err?.message, topic: batch.topic, partition: batch.partition });
            done();
          },
        };
        const hb = setInterval(() => void heartbeat().catch(() => {}), 1000);
        try {
          await ctx.out.send(agg, ctx.signal);
        } finally {
          clearInterval(hb);
        }
        for (const m of batch.messages) resolveOffset(m.offset);
        if (this.tracker.inflightBytes > maxInflight) {
          const k = `${batch.topic}\u0000${batch.partition}`;
          if (!this.paused.has(k)) {
            this.paused.set(k, { topic: batch.topic, partition: batch.partition });
            consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
            pausedGauge.set(this.paused.size);
            log.debug('partition paused: sinks are behind', { topic: batch.topic, partition: batch.partition, inflight: this.tracker.inflightBytes });
          }
        }
        await heartbeat().catch(() => {});
      } finally {
        this.inBatch--;
      }
    };

    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch });
    this.commitTimer = setInterval(() => void this.commit(log), Math.max(50, this.cfg.commit_interval_ms));

    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    // shutdown: stop fetching, let the sinks drain (the runtime closes their inputs after `quiesced`),
    // commit what they acknowledged, then leave the group.
    this.stopping = true;
    const owned = Object.entries(this.assigned).map(([topic, partitions]) => ({ topic, partitions }));
    if (owned.length) consumer.pause(owned);
    while (this.inBatch > 0) await new Promise((r) => setTimeout(r, 20));
    this.quiescedResolve();
    const deadline = Date.now() + 120_000;
    while (this.tracker.pendingBatches > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    clearInterval(this.commitTimer);
    await this.commit(log);
    await consumer.disconnect().catch(() => {});
    await this.producer?.disconnect().catch(() => {});
  }

  private dlq?: DeadLetterQueue;
  /** The dead-letter queue (available once run() started). */
  deadLetter(): DeadLetterQueue | undefined {
    return this.dlq;
  }

  private commit(log: { debug: (m: string, f?: Record<string, unknown>) => void }): Promise<void> {
    this.commitChain = this.commitChain.then(async () => {
      const commits = this.tracker.takeCommits();
      if (commits.length === 0 || !this.consumer) return;
      try {
        await this.consumer.commitOffsets(commits);
        this.tracker.markCommitted(commits);
      } catch (e) {
        // a rebalance in progress: the next member re-reads from the last commit (the archive skips what it has)
        log.debug('offset commit failed; will retry', { error: describeError(e) });
      }
    });
    return this.commitChain;
  }
}
