// The dead-letter topic: records that cannot be decoded, or that a sink rejected for good, are
// produced here with the reason and their origin in headers (flowlog.reason, flowlog.sink,
// flowlog.source.topic, flowlog.source.partition, flowlog.source.offset). Without a configured topic
// they are logged and counted (never silently dropped).
import type { Producer } from 'kafkajs';
import type { Logger } from '../core/telemetry/logger.js';
import type { Counter } from '../core/telemetry/metrics.js';

export interface DeadLetter {
  value: string | Buffer;
  reason: string;
  sink?: string;
  topic?: string;
  partition?: number;
  offset?: number;
}

export class DeadLetterQueue {
  constructor(
    private readonly producer: Producer | undefined,
    private readonly topic: string | undefined,
    private readonly log: Logger,
    private readonly counter: Counter,
  ) {}

  /** Resolves once the broker acknowledged the records (acks: all); retries until `signal` aborts. */
  async send(records: DeadLetter[], signal?: AbortSignal): Promise<void> {
    if (records.length === 0) return;
    this.counter.inc(records.length);
    if (!this.producer || !this.topic) {
      for (const r of records.slice(0, 10)) this.log.warn('record dead-lettered (no dead_letter topic configured)', { reason: r.reason, topic: r.topic, partition: r.partition, offset: r.offset });
      return;
    }
    const messages = records.map((r) => {
      const headers: Record<string, string> = { 'flowlog.reason': r.reason.slice(0, 1000) };
      if (r.sink) headers['flowlog.sink'] = r.sink;
      if (r.topic !== undefined) headers['flowlog.source.topic'] = r.topic;
      if (r.partition !== undefined) headers['flowlog.source.partition'] = String(r.partition);
      if (r.offset !== undefined) headers['flowlog.source.offset'] = String(r.offset);
      return { value: r.value, headers };
    });
    for (let attempt = 0; ; attempt++) {
      try {
        for (let i = 0; i < messages.length; i += 1000) {
          await this.producer.send({ topic: this.topic, acks: -1, messages: messages.slice(i, i + 1000) });
        }
        return;
      } catch (e) {
        if (signal?.aborted) throw e;
        this.log.warn('dead-letter send failed; retrying', { error: (e as Error).message, attempt });
        await new Promise((r) => setTimeout(r, Math.min(30_000, 200 * 2 ** attempt)));
      }
    }
  }
}
