// The kafkajs producer as the sink uses it: idempotent, acks=all, one request at a time, TLS/SASL
// from the config (secrets read from files or ${ENV}, never logged), and error classification.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import kafkajs, { type Message, type Producer as KafkajsProducer, type SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import { FlowlogError } from '../../../core/errors.js';
import { compressionType, registerCodecs } from './codecs.js';
import type { KafkaSinkConfig } from './config.js';

export interface TopicMessages {
  topic: string;
  messages: Message[];
}

const { Kafka, Partitioners, logLevel } = kafkajs;

/** Where kafkajs's own records go (debug detail: the sink logs outcomes). */
export interface ProducerLog {
  debug(msg: string, fields?: Record<string, unknown>): void;
}

export type ErrorClass = 'too_large' | 'invalid' | 'retry';

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);
const INVALID = new Set(['INVALID_TOPIC_EXCEPTION', 'INVALID_RECORD', 'CORRUPT_MESSAGE']);

/** The first protocol error type that decides the class, looking through kafkajs's wrappers (retries exceeded, aggregate errors). */
export function protocolErrorType(e: unknown): string | null {
  const seen = new Set<unknown>();
  const stack: unknown[] = [e];
  while (stack.length) {
    const cur = stack.pop();
    if (!cur || typeof cur !== 'object' || seen.has(cur)) continue;
    seen.add(cur);
    const t = (cur as { type?: unknown }).type;
    if (typeof t === 'string' && (TOO_LARGE.has(t) || INVALID.has(t))) return t;
    const o = cur as { cause?: unknown; originalError?: unknown; errors?: unknown };
    stack.push(o.cause, o.originalError);
    if (Array.isArray(o.errors)) stack.push(...o.errors);
  }
  return null;
}

export function classifyError(e: unknown): ErrorClass {
  const t = protocolErrorType(e);
  return t === null ? 'retry' : TOO_LARGE.has(t) ? 'too_large' : 'invalid';
}

/** What every producer the sink can use does (in process, or on its own thread: producer-thread.ts). */
export interface Producer {
  /**
   * Sends the sink may have outstanding at once. Above 1 the producer must send them strictly in
   * order and send none after one fails (those reject too), so a retry never lets a later request
   * overtake an earlier one.
   */
  readonly maxInFlight: number;
  /** Sends and resolves once every record was acknowledged by all in-sync replicas. */
  send(batch: TopicMessages[]): Promise<void>;
  /** Drops the producer (a new one, with a new producer id, is made on the next send). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

function readSecretFile(path: string, dir: string, what: string): string {
  const p = isAbsolute(path) ? path : resolve(dir, path);
  try {
    return readFileSync(p, 'utf8');
  } catch (e) {
    throw new FlowlogError('CONFIG_READ', `kafka sink: cannot read ${what} ${p}: ${(e as Error).message}`, { cause: e });
  }
}

export function kafkaClientOptions(cfg: KafkaSinkConfig, configDir: string) {
  let ssl: ConnectionOptions | boolean | undefined;
  if (cfg.tls?.enabled) {
    const t: ConnectionOptions = { rejectUnauthorized: cfg.tls.verify };
    if (cfg.tls.ca_file) t.ca = [readSecretFile(cfg.tls.ca_file, configDir, 'tls.ca_file')];
    if (cfg.tls.cert_file) t.cert = readSecretFile(cfg.tls.cert_file, configDir, 'tls.cert_file');
    if (cfg.tls.key_file) t.key = readSecretFile(cfg.tls.key_file, configDir, 'tls.key_file');
    if (!cfg.tls.verify) t.checkServerIdentity = () => undefined;
    ssl = t;
  }
  let sasl: SASLOptions | undefined;
  if (cfg.sasl) {
    const password = cfg.sasl.password ?? readSecretFile(cfg.sasl.password_file!, configDir, 'sasl.password_file').replace(/\r?\n$/, '');
    sasl = { mechanism: cfg.sasl.mechanism, username: cfg.sasl.username, password } as SASLOptions;
  }
  return {
    clientId: cfg.client_id,
    brokers: cfg.bootstrap_servers.split(',').map((s) => s.trim()),
    ssl,
    sasl,
    connectionTimeout: cfg.connection_timeout_ms,
    requestTimeout: cfg.request_timeout_ms,
  };
}

export class KafkaProducer implements Producer {
  readonly maxInFlight = 1;
  private readonly kafka: kafkajs.Kafka;
  private producer: KafkajsProducer | null = null;
  private readonly compression;

  constructor(
    private readonly cfg: KafkaSinkConfig,
    configDir: string,
    private readonly log: ProducerLog,
  ) {
    registerCodecs();
    this.compression = compressionType(cfg.compression);
    this.kafka = new Kafka({
      ...kafkaClientOptions(cfg, configDir),
      // kafkajs retries a few times quickly; the sink's own backoff takes over after that
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => {
        // kafkajs is chatty during outages; its records are debug detail, the sink logs the outcome
        log.debug(entry.log.message, { namespace: entry.namespace, error: entry.log.error });
      },
    });
  }

  private async ensure(): Promise<KafkajsProducer> {
    if (this.producer) return this.producer;
    const p = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    try {
      await p.connect();
    } catch (e) {
      await p.disconnect().catch(() => undefined);
      throw e;
    }
    this.producer = p;
    return p;
  }

  /** Sends and resolves once every record was acknowledged by all in-sync replicas. */
  async send(batch: TopicMessages[]): Promise<void> {
    const p = await this.ensure();
    await p.sendBatch({ topicMessages: batch, acks: -1, timeout: this.cfg.request_timeout_ms, compression: this.compression });
  }

  /** Drops the producer (a new one, with a new producer id, is made on the next send). */
  async reset(): Promise<void> {
    const p = this.producer;
    this.producer = null;
    if (p) await p.disconnect().catch((e) => this.log.debug('producer disconnect failed', { error: String(e) }));
  }

  async close(): Promise<void> {
    await this.reset();
  }
}
