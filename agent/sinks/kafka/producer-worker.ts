// The Kafka producer's own thread (producer-thread.ts starts it): kafkajs's record encoding, CRC and
// compression, its sockets and its garbage stay off the agent's event loop, so produce requests and
// ingest run on two cores. Each request arrives as one transferred buffer holding every message
// value; the answer says done, or the error's message and the protocol type that classifies it.
import { parentPort } from 'node:worker_threads';
import { describeError } from '../../../core/errors.js';
import type { KafkaSinkConfig } from './config.js';
import { KafkaProducer, protocolErrorType, type TopicMessages } from './producer.js';

export interface WireMessage {
  key: string | null;
  headers?: Record<string, string>;
  /** Value bytes: [start, end) of the request's buffer. */
  start: number;
  end: number;
}

export type ToProducer =
  | { t: 'init'; cfg: KafkaSinkConfig; configDir: string }
  | { t: 'send'; id: number; gen: number; topics: { topic: string; messages: WireMessage[] }[]; data: Uint8Array }
  | { t: 'reset'; id: number }
  | { t: 'close'; id: number };

export type FromProducer =
  | { t: 'done'; id: number }
  | { t: 'error'; id: number; message: string; protocolType: string | null; skipped?: boolean }
  | { t: 'log'; msg: string; fields?: Record<string, unknown> };

const port = parentPort!;
let producer: KafkaProducer | null = null;
// Requests run strictly one after another in arrival order. After a send fails, the sends queued
// behind it (same generation or older) are answered `skipped` without being sent, so nothing
// overtakes the failed request; the sink retries it and sends the rest again with a new generation.
const queue: Exclude<ToProducer, { t: 'init' }>[] = [];
let running = false;
let failedGen = -1;

const fail = (id: number, e: unknown) => port.postMessage({ t: 'error', id, message: describeError(e), protocolType: protocolErrorType(e) } satisfies FromProducer);

port.on('message', (m: ToProducer) => {
  if (m.t === 'init') {
    const log = { debug: (msg: string, fields?: Record<string, unknown>) => port.postMessage({ t: 'log', msg, fields: plain(fields) } satisfies FromProducer) };
    try {
      producer = new KafkaProducer(m.cfg, m.configDir, log);
    } catch (e) {
      fail(-1, e);
    }
    return;
  }
  queue.push(m);
  if (!running) void drain();
});

async function drain(): Promise<void> {
  running = true;
  while (queue.length) {
    const m = queue.shift()!;
    const p = producer;
    if (!p) {
      fail(m.id, new Error('kafka producer thread was not initialized'));
      continue;
    }
    if (m.t === 'send' && m.gen <= failedGen) {
      port.postMessage({ t: 'error', id: m.id, message: 'not sent: an earlier request failed', protocolType: null, skipped: true } satisfies FromProducer);
      continue;
    }
    try {
      await (m.t === 'send' ? p.send(toTopicMessages(m)) : m.t === 'reset' ? p.reset() : p.close());
      port.postMessage({ t: 'done', id: m.id } satisfies FromProducer);
    } catch (e) {
      if (m.t === 'send') failedGen = m.gen;
      fail(m.id, e);
    }
  }
  running = false;
}

function toTopicMessages(m: Extract<ToProducer, { t: 'send' }>): TopicMessages[] {
  const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  return m.topics.map(({ topic, messages }) => ({
    topic,
    messages: messages.map((w) => ({ key: w.key, headers: w.headers, value: data.subarray(w.start, w.end) })),
  }));
}

/** Log fields as cloneable values (errors become their description). */
function plain(fields?: Record<string, unknown>): Record<string, unknown> | undefined {
  if (!fields) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = v instanceof Error ? describeError(v) : typeof v === 'object' ? String(v) : v;
  return out;
}
