import { z } from 'zod';

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:8080');

export const httpServerConfig = z.strictObject({
  /** host:port to listen on; loopback unless configured otherwise (0.0.0.0:8080 to accept remote senders). */
  address: hostPort.default('127.0.0.1:8080'),
  /** Only requests to this path are accepted (404 otherwise); Vector's `path`, Fluent Bit's `uri`. */
  path: z.string().startsWith('/', 'path must start with /').default('/'),
  /** Bearer-token auth: `Authorization: Bearer <token>`. The token may be `${ENV}` or read from a file. */
  auth: z
    .strictObject({
      token: z.string().min(16, 'the token must be at least 16 characters').optional(),
      token_file: z.string().optional(),
    })
    .refine((a) => (a.token === undefined) !== (a.token_file === undefined), 'auth needs exactly one of token or token_file')
    .optional(),
  /** Largest accepted body, checked on the received bytes and again on the decompressed size (413). */
  max_body_bytes: z.number().int().min(1024).default(10 * 1024 * 1024),
  decoding: z
    .strictObject({
      /** ndjson: one JSON value per line; json: one JSON array (or object); auto: by the first character. */
      codec: z.enum(['ndjson', 'json', 'auto']).default('auto'),
    })
    .prefault({}),
  /** Requests handled at once (each may hold up to max_body_bytes); more get 503 with Retry-After. */
  max_concurrent_requests: z.number().int().min(1).default(64),
  /** How long a request may wait for room in the agent's pipeline (when_full: block) before it gets 503. */
  send_timeout_ms: z.number().int().min(1).default(10_000),
  /** How long a request may wait for its records to be durable in the spool before it gets 503. */
  ack_timeout_ms: z.number().int().min(1).default(30_000),
  /** Seconds a 503 asks the client to wait before retrying (Retry-After). */
  retry_after_secs: z.number().int().min(0).default(1),
  /** On shutdown, how long in-flight requests may still wait for their acknowledgement. */
  shutdown_grace_ms: z.number().int().min(0).default(5_000),
});
export type HttpServerConfig = z.infer<typeof httpServerConfig>;
