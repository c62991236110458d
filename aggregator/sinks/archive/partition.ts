// The archive's partition contract (docs/archive.md):
//   dt=YYYY-MM-DD/hour=HH/<attr>=<value>/part-<flush id>-<n>.parquet
// - dt and hour are the event time in UTC, except when it lies more than max_past_ms before or
//   max_future_ms after the Kafka message timestamp (clock skew, replayed junk): then the Kafka
//   timestamp's hour is used. The record keeps its own `time` either way; catalog ranges use `time`.
// - attribute values are made path-safe: characters outside [A-Za-z0-9._-] become '_', at most 100
//   characters; a missing or empty value is __HIVE_DEFAULT_PARTITION__ (what Hive and Spark use).
//   The exact value stays in its column or in `attributes`.

export const NULL_PARTITION = '__HIVE_DEFAULT_PARTITION__';

export function columnName(attribute: string): string {
  return attribute.replace(/[^A-Za-z0-9_]/g, '_');
}

export function partitionValue(v: string | number | boolean | undefined): string {
  if (v === undefined) return NULL_PARTITION;
  const s = String(v).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
  return s === '' || s === '.' || s === '..' ? NULL_PARTITION : s;
}

/** The millisecond timestamp that decides dt/hour (the bucketing rule above). */
export function bucketTimeMs(eventMs: number, kafkaMs: number | undefined, maxPastMs: number, maxFutureMs: number): number {
  if (kafkaMs === undefined || !Number.isFinite(kafkaMs) || kafkaMs <= 0) return eventMs;
  if (eventMs < kafkaMs - maxPastMs || eventMs > kafkaMs + maxFutureMs) return kafkaMs;
  return eventMs;
}

const pad = (n: number) => (n < 10 ? '0' + n : String(n));

/** [dt, hour] for a millisecond timestamp (UTC); years outside 0..9999 are clamped. */
export function dtHour(ms: number): [string, string] {
  const clamped = Math.min(Math.max(ms, -62167219200000), 253402300799999);
  const d = new Date(clamped);
  return [`${String(d.getUTCFullYear()).padStart(4, '0')}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`, pad(d.getUTCHours())];
}
