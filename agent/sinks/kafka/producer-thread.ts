// The sink's producer on a worker thread (producer-worker.ts). Same contract as KafkaProducer: one
// request at a time, resolved once Kafka acknowledged it. Message values are packed into one buffer
// that is transferred, not cloned. A worker that dies fails the request in flight with a retryable
// error and is started again on the next send, so the sink's backoff covers it like a broken link.
import type { Worker } from 'node:worker_threads';
import { FlowlogError } from '../../../core/errors.js';
import type { Logger } from '../../../core/telemetry/logger.js';
import { startWorker } from '../../../core/worker.js';
import type { KafkaSinkConfig } from './config.js';
import { kafkaClientOptions, type Producer, type TopicMessages } from './producer.js';
import type { FromProducer, ToProducer, WireMessage } from './producer-worker.js';

interface Waiting {
  id: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Requests the sink may queue on the thread (the thread still sends one at a time). */
export const QUEUED_REQUESTS = 4;

export class ThreadProducer implements Producer {
  readonly maxInFlight = QUEUED_REQUESTS;
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  /** Raised after each failed send: sends queued before the failure was seen are skipped by the thread. */
  private gen = 0;

  constructor(
    private readonly cfg: KafkaSinkConfig,
    private readonly configDir: string,
    private readonly log: Logger,
  ) {
    // TLS and SASL files are read here too, so a missing one fails the sink's start, not each request
    kafkaClientOptions(cfg, configDir);
    // start the thread now, not on the first request (from sources the bundling takes ~0.3 s)
    this.ensure();
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker(import.meta.url, 'producer-worker');
    w.unref();
    const kl = this.log.child({ client: 'kafkajs' });
    w.on('message', (m: FromProducer) => {
      if (m.t === 'log') return kl.debug(m.msg, m.fields);
      const p = this.waiting.get(m.id);
      if (!p) {
        // an init failure (id -1) answers nothing pending: the requests report it
        if (m.t === 'error' && m.id === -1) this.log.error('kafka producer thread failed to start', { error: m.message });
        return;
      }
      this.waiting.delete(m.id);
      // pending requests keep the process alive, an idle producer thread does not
      if (this.waiting.size === 0) w.unref();
      if (m.t === 'done') return p.resolve();
      if (!m.skipped) this.gen++;
      p.reject(Object.assign(new FlowlogError('SINK_UNAVAILABLE', m.message), { type: m.protocolType ?? undefined, skipped: m.skipped === true }));
    });
    const gone = (why: string) => {
      if (this.worker !== w) return;
      this.worker = null;
      this.gen++;
      const all = [...this.waiting.values()];
      this.waiting.clear();
      for (const p of all) p.reject(new FlowlogError('SINK_UNAVAILABLE', `kafka producer thread ${why}`));
    };
    w.on('error', (e) => gone(`failed: ${e.message}`));
    w.on('exit', (code) => gone(`exited (code ${code})`));
    w.postMessage({ t: 'init', cfg: this.cfg, configDir: this.configDir } satisfies ToProducer);
    this.worker = w;
    return w;
  }

  private call(msg: Exclude<ToProducer, { t: 'init' }>, transfer: ArrayBuffer[] = []): Promise<void> {
    const w = this.ensure();
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(msg.id, { id: msg.id, resolve, reject });
      w.ref();
      w.postMessage(msg, transfer);
    });
  }

  send(batch: TopicMessages[]): Promise<void> {
    let size = 0;
    for (const t of batch) for (const m of t.messages) size += (m.value as Buffer).length;
    const data = new Uint8Array(size);
    let off = 0;
    const topics = batch.map((t) => ({
      topic: t.topic,
      messages: t.messages.map((m): WireMessage => {
        const v = m.value as Buffer;
        data.set(v, off);
        const w: WireMessage = { key: (m.key as string | null | undefined) ?? null, start: off, end: off + v.length };
        if (m.headers) w.headers = m.headers as Record<string, string>;
        off += v.length;
        return w;
      }),
    }));
    return this.call({ t: 'send', id: this.nextId++, gen: this.gen, topics, data }, [data.buffer]);
  }

  async reset(): Promise<void> {
    if (!this.worker) return;
    await this.call({ t: 'reset', id: this.nextId++ }).catch((e) => this.log.debug('producer reset failed', { error: String(e) }));
  }

  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    await this.call({ t: 'close', id: this.nextId++ }).catch((e) => this.log.debug('producer close failed', { error: String(e) }));
    this.worker = null;
    await w.terminate();
  }
}
