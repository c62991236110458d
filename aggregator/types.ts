// What flows inside the aggregator: an EventBatch (core/component.ts) that also says where its
// events came from in Kafka, so a sink can make its own writes idempotent (the archive skips offsets
// its catalog already covers), and lets a sink reject single records for good (they go to the dead
// letter topic with the reason) while delivering the rest. The source hands the message values over
// undecoded (`raw`), decoding them only when a stage needs events: routing conditions, sinks that
// take events, or the archive's per-record path.
import type { EventBatch } from '../core/component.js';

export interface KafkaOrigin {
  topic: string;
  partition: number;
  /** Kafka offset of the message each event came from (parallel to `events`). */
  offsets: number[];
  /** Kafka message timestamp (ms) of each event (parallel to `events`). */
  kafkaTimes?: number[];
}

/** Undecoded Kafka message values of one partition, in offset order (parallel arrays). */
export interface RawMessages {
  values: Buffer[];
  offsets: number[];
  /** Kafka message timestamps (ms). */
  timestamps: number[];
  /** Called once with the number of events they held, by whichever stage turned them into events or rows. */
  counted(n: number): void;
  /** Set by `counted`. */
  eventCount?: number;
}

export interface AggBatch extends EventBatch {
  origin?: KafkaOrigin;
  /** Approximate bytes of the events (their share of the Kafka message values). */
  bytes?: number;
  /** Marks event `index` as rejected for good by the sink (dead-lettered with `reason`). Call before ack. */
  rejectEvent?: (index: number, reason: string) => void;
  /**
   * The source's message values, not yet decoded: a sink that takes NDJSON in bulk (the archive) reads
   * these. Until `decode()` runs, `events`, `origin.offsets` and `origin.kafkaTimes` are empty.
   */
  raw?: RawMessages;
  /**
   * Decodes `raw` into `events`, `origin.offsets` and `origin.kafkaTimes`, filling those arrays in place
   * (so sub-batches sharing them see the events too); undecodable records go to the dead letter.
   * Idempotent. Must run before the batch (or a sub-batch sharing its arrays) is acknowledged.
   */
  decode?: () => void;
}

export function isAggBatch(b: EventBatch): b is AggBatch {
  return (b as AggBatch).origin !== undefined;
}
