import { z } from 'zod';
import { hasFields } from './template.js';

const tlsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** PEM CA bundle that signs the broker certificates (default: the system roots). */
  ca_file: z.string().optional(),
  /** PEM client certificate and key, for brokers that require mutual TLS. */
  cert_file: z.string().optional(),
  key_file: z.string().optional(),
  /** Verify the broker certificate and host name (leave on outside tests). */
  verify: z.boolean().default(true),
});

const saslSchema = z
  .strictObject({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
    username: z.string().min(1),
    /** Use `${ENV_VAR}` here, or password_file; the password is never logged. */
    password: z.string().optional(),
    password_file: z.string().optional(),
  })
  .refine((s) => (s.password === undefined) !== (s.password_file === undefined), {
    message: 'sasl needs exactly one of password (e.g. "${KAFKA_PASSWORD}") or password_file',
  });

export const kafkaSinkConfig = z
  .strictObject({
    /** Comma-separated host:port list. */
    bootstrap_servers: z.string().regex(/^\s*[^,\s]+:\d+(\s*,\s*[^,\s]+:\d+)*\s*$/, 'expected "host:port,host:port"'),
    /** Topic name or template: `logs.{{ k8s.namespace.name }}`. */
    topic: z.string().min(1),
    /** Topic used when a template field is missing from an event. */
    default_topic: z.string().min(1).optional(),
    /** Attribute whose value is the message key (keeps each stream on one partition, in order). */
    key_field: z.string().min(1).optional(),
    /** single: one event per message; newline_delimited: up to events_per_message NDJSON events per message value. */
    framing: z.enum(['single', 'newline_delimited']).default('newline_delimited'),
    events_per_message: z.number().int().min(1).max(100_000).default(64),
    compression: z.enum(['none', 'gzip', 'lz4', 'snappy']).default('none'),
    batch: z
      .strictObject({
        /**
         * Uncompressed bytes per produce request. The broker's message.max.bytes (1 MiB by default)
         * applies to each partition's compressed batch: a request it refuses as too large is split,
         * and the sink caps later requests lower for a while (flowlog_sink_request_cap_bytes).
         * Default: 4 MB when compressed, 900 KB with compression none.
         */
        max_bytes: z.number().int().min(1024).optional(),
        /** How long to wait for more data before sending a partial batch. */
        timeout_ms: z.number().int().min(0).max(60_000).default(20),
      })
      .prefault({}),
    /** A record (message value) larger than this goes to the dead-letter file instead of Kafka. */
    max_message_bytes: z.number().int().min(1024).default(1_000_000),
    /** Static headers, or templates like the topic (`{{ host.name }}`). */
    headers: z.record(z.string(), z.string()).default({}),
    tls: tlsSchema.optional(),
    sasl: saslSchema.optional(),
    dead_letter: z
      .strictObject({
        /** NDJSON file for records Kafka can never accept (default: <data_dir>/<sink name>/dead-letter.ndjson). */
        path: z.string().optional(),
      })
      .prefault({}),
    /** Run the Kafka client (record encoding, compression, sockets) on its own thread, off the event loop. */
    producer_thread: z.boolean().default(true),
    client_id: z.string().default('flowlog'),
    request_timeout_ms: z.number().int().min(100).default(30_000),
    connection_timeout_ms: z.number().int().min(100).default(10_000),
    retry: z
      .strictObject({
        initial_backoff_ms: z.number().int().min(1).default(200),
        max_backoff_ms: z.number().int().min(1).default(30_000),
      })
      .prefault({}),
  })
  .refine((c) => !hasFields(c.topic) || c.default_topic !== undefined, {
    message: 'a templated topic needs default_topic (used when an event lacks the field)',
    path: ['default_topic'],
  })
  .transform((c) => ({ ...c, batch: { ...c.batch, max_bytes: c.batch.max_bytes ?? (c.compression === 'none' ? 900_000 : 4_000_000) } }));
export type KafkaSinkConfig = z.infer<typeof kafkaSinkConfig>;
