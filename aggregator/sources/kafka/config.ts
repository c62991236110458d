import { z } from 'zod';

const topicEntry = z
  .string()
  .min(1)
  .refine((t) => !(t.startsWith('/') && t.endsWith('/') && t.length > 2) || isRegex(t.slice(1, -1)), 'not a valid /regex/');

function isRegex(s: string): boolean {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}

export const kafkaSourceConfig = z.strictObject({
  /** "host:port,host:port" (Vector's name). */
  bootstrap_servers: z.string().min(1),
  group_id: z.string().min(1),
  /** Topic names, or /regex/ patterns (matched against the cluster's topics at start). */
  topics: z.array(topicEntry).min(1),
  client_id: z.string().default('flowlog-aggregator'),
  /** Where a group without committed offsets starts: beginning (default, loses nothing) or end. */
  auto_offset_reset: z.enum(['beginning', 'end']).default('beginning'),
  session_timeout_ms: z.number().int().min(6000).default(30_000),
  heartbeat_interval_ms: z.number().int().min(100).default(3000),
  /**
   * How long the broker may hold a fetch waiting for data (Kafka's fetch.max.wait.ms, whose default
   * this is). kafkajs also sleeps this long when every partition it owns is paused, so it bounds how
   * late reading resumes after backpressure (kafkajs's own default, 5 s, stalled the archive).
   */
  fetch_max_wait_ms: z.number().int().min(10).default(500),
  /** Bytes fetched per partition per request. */
  fetch_max_bytes: z.number().int().min(1024).default(4 * 1024 * 1024),
  /**
   * Bytes read from Kafka but not yet acknowledged by every sink. Past this, partitions are paused
   * until sinks catch up to half of it (bounded memory). Must exceed the archive's buffer.
   */
  max_inflight_bytes: z.number().int().min(1024).default(256 * 1024 * 1024),
  /** How often committed offsets are sent to Kafka at most. */
  commit_interval_ms: z.number().int().min(0).default(1000),
  /** Records that cannot be decoded or that a sink rejects for good go here, the reason in headers. */
  dead_letter: z.strictObject({ topic: z.string().min(1) }).optional(),
});
export type KafkaSourceConfig = z.infer<typeof kafkaSourceConfig>;
