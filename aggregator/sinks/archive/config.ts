import { z } from 'zod';

/** Attributes stored as their own columns by default (the rest go to the `attributes` JSON column). */
export const DEFAULT_COLUMNS = [
  'host.name',
  'service.name',
  'k8s.namespace.name',
  'k8s.pod.name',
  'k8s.container.name',
  'k8s.node.name',
  'container.id',
  'systemd.unit',
  'log.file.path',
  'log.iostream',
];

export const s3Config = z.strictObject({
  bucket: z.string().min(3),
  /** e.g. https://s3.eu-west-1.amazonaws.com or http://127.0.0.1:9000 (path-style addressing is used). */
  endpoint: z.string().url(),
  region: z.string().default('us-east-1'),
  /** Key prefix inside the bucket (no leading slash). */
  prefix: z.string().default(''),
  /** Credentials: use ${ENV} references; never written to logs. Both empty = unsigned requests. */
  access_key_id: z.string().default(''),
  secret_access_key: z.string().default(''),
  /** Multipart part size (S3 minimum 5 MiB except the last part). */
  part_size_bytes: z.number().int().min(5 * 1024 * 1024).default(8 * 1024 * 1024),
});
export type S3Config = z.infer<typeof s3Config>;

export const archiveConfig = z.strictObject({
  /** Local archive directory (the default backend), or the local staging/state directory when `s3` is set. Relative to the config file. */
  path: z.string().min(1),
  s3: s3Config.optional(),
  /** SQLite catalog. Default: <path>/_flowlog/catalog.sqlite. Processes sharing partitions must share it. */
  catalog_path: z.string().optional(),
  /**
   * Attributes that become Hive partition directories after dt= and hour=: an attribute name (the
   * directory key is the name with dots → underscores) or {attribute, key} to choose the key.
   */
  partition_by: z
    .array(
      z.union([
        z.string().min(1).transform((attribute) => ({ attribute, key: attribute.replace(/[^A-Za-z0-9_]/g, '_') })),
        z.strictObject({ attribute: z.string().min(1), key: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'a lowercase identifier') }),
      ]),
    )
    .max(4)
    .default([]),
  /** Attributes stored as their own VARCHAR columns (dots → underscores). */
  columns: z.array(z.string().min(1)).default(DEFAULT_COLUMNS),
  compression: z.enum(['zstd', 'snappy', 'gzip']).default('zstd'),
  compression_level: z.number().int().min(1).max(22).default(3),
  row_group_size: z.number().int().min(1000).default(100_000),
  /** Roll (write out) the buffered files once this many raw bytes are buffered... */
  max_file_bytes: z.number().int().min(1024).default(128 * 1024 * 1024),
  /** ...or once the oldest buffered record is this old. */
  max_file_age_ms: z.number().int().min(100).default(300_000),
  /** A record larger than this (raw bytes) is rejected for good: it goes to the dead letter. */
  max_record_bytes: z.number().int().min(1024).default(8 * 1024 * 1024),
  /** Bucketing rule: an event time earlier than the Kafka timestamp minus this, or later than it plus `max_future_ms`, is filed under the Kafka timestamp's hour. */
  max_past_ms: z.number().int().min(0).default(7 * 24 * 3600 * 1000),
  max_future_ms: z.number().int().min(0).default(3600 * 1000),
  /** DuckDB memory limit for the buffer (spills to <path>/_flowlog/tmp beyond it). */
  memory_limit: z.string().default('1GB'),
  threads: z.number().int().min(1).max(64).default(2),
});
export type ArchiveConfig = z.infer<typeof archiveConfig>;
