// Reads topics back from the real broker for assertions: every message from the beginning, until an
// expected number of events (NDJSON lines across messages) arrived or a quiet period passed.
import kafkajs, { type KafkaConfig } from 'kafkajs';
import { registerCodecs } from '../../agent/sinks/kafka/codecs.js';

const { Kafka, logLevel } = kafkajs;

export interface ConsumedMessage {
  topic: string;
  partition: number;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

export interface ConsumeOptions {
  /** Stop once this many NDJSON lines were read. */
  events?: number;
  /** Stop when nothing new arrived for this long after the last message (default 3 s). */
  quietMs?: number;
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  client?: Partial<KafkaConfig>;
}

export function countLines(v: Buffer): number {
  let n = 0;
  let start = 0;
  while (start < v.length) {
    let nl = v.indexOf(10, start);
    if (nl < 0) nl = v.length;
    if (nl > start) n++;
    start = nl + 1;
  }
  return n;
}

export async function consumeAll(bootstrap: string, topics: (string | RegExp)[], opts: ConsumeOptions = {}): Promise<ConsumedMessage[]> {
  registerCodecs();
  const kafka = new Kafka({ clientId: 'flowlog-test-reader', brokers: [bootstrap], logLevel: logLevel.NOTHING, ...opts.client });
  const consumer = kafka.consumer({ groupId: `reader-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`, maxBytes: 64 << 20 });
  const out: ConsumedMessage[] = [];
  let events = 0;
  let last = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const value = m.value ?? Buffer.alloc(0);
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = String(v);
          out.push({ topic: batch.topic, partition: batch.partition, key: m.key ? m.key.toString() : null, value, headers });
          events += countLines(value);
        }
        last = Date.now();
      },
    });
    const start = Date.now();
    const quiet = opts.quietMs ?? 3000;
    const timeout = opts.timeoutMs ?? 60_000;
    while (Date.now() - start < timeout) {
      if (opts.events !== undefined && events >= opts.events) {
        // a little longer, to see duplicates that are on their way
        await new Promise((r) => setTimeout(r, 300));
        break;
      }
      if (opts.events === undefined && out.length > 0 && Date.now() - last > quiet) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await consumer.disconnect();
  }
  return out;
}
