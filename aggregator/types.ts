// What flows inside the aggregator: an EventBatch (core/component.ts) that also says where its
// events came from in Kafka, so a sink can make its own writes idempotent (the archive skips offsets
// its catalog already covers), and lets a sink reject single records for good (they go to the dead
// letter topic with the reason) while delivering the rest.
import type { EventBatch } from '../core/component.js';

export interface KafkaOrigin {
  topic: string;
  partition: number;
  /** Kafka offset of the message each event came from (parallel to `events`). */
  offsets: number[];
  /** Kafka message timestamp (ms) of each event (parallel to `events`). */
  kafkaTimes?: number[];
}

export interface AggBatch extends EventBatch {
  origin?: KafkaOrigin;
  /** Approximate bytes of the events (their share of the Kafka message values). */
  bytes?: number;
  /** Marks event `index` as rejected for good by the sink (dead-lettered with `reason`). Call before ack. */
  rejectEvent?: (index: number, reason: string) => void;
}

export function isAggBatch(b: EventBatch): b is AggBatch {
  return (b as AggBatch).origin !== undefined;
}
