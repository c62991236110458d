// Runs the http_server source the way the agent does: a bounded Channel as its output, and a consumer
// standing in for the agent's spool stage that decides when (and how) each batch is acknowledged.
import { request } from 'undici';
import { Channel } from '../../../../core/channel.js';
import type { AckStatus, EventBatch } from '../../../../core/component.js';
import type { LogEvent } from '../../../../core/event.js';
import { memoryLogger } from '../../../../core/telemetry/logger.js';
import { Metrics } from '../../../../core/telemetry/metrics.js';
import { httpServerConfig, type HttpServerConfig } from '../../../../agent/sources/http/config.js';
import { HttpServerSource } from '../../../../agent/sources/http/source.js';

export type AckMode = { kind: 'auto'; status: AckStatus; error?: Error } | { kind: 'manual' } | { kind: 'stalled' };

export interface Harness {
  url: string;
  metrics: Metrics;
  log: ReturnType<typeof memoryLogger>;
  /** Every batch the source sent, in order. */
  batches: EventBatch[];
  events(): LogEvent[];
  /** Resolves when the n-th batch (1-based) has arrived. */
  batchArrived(n: number): Promise<EventBatch>;
  post(body: string | Buffer, headers?: Record<string, string>, path?: string): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  stop(): Promise<void>;
}

export async function startHarness(
  options: Record<string, unknown> = {},
  opts: { ack?: AckMode; capacity?: number; configDir?: string } = {},
): Promise<Harness> {
  const cfg: HttpServerConfig = httpServerConfig.parse({ address: '127.0.0.1:0', ...options });
  const src = new HttpServerSource(cfg, { configDir: opts.configDir ?? process.cwd(), dataDir: '/nonexistent' });
  const ack = opts.ack ?? { kind: 'auto', status: 'delivered' };
  const chan = new Channel<EventBatch>({ capacity: opts.capacity ?? 1024 });
  const metrics = new Metrics();
  const log = memoryLogger();
  const abort = new AbortController();
  const batches: EventBatch[] = [];
  const waiters: { n: number; resolve: (b: EventBatch) => void }[] = [];
  const running = src.run({ name: 'ingest', signal: abort.signal, log, metrics, dataDir: '/nonexistent', out: chan, checkpoints: new Map() });
  running.catch(() => {});
  // the stand-in for the agent: takes batches (unless stalled) and acks them
  const consumer = (async () => {
    if (ack.kind === 'stalled') return;
    for await (const b of chan) {
      batches.push(b);
      for (const w of waiters.filter((x) => x.n === batches.length)) w.resolve(b);
      if (ack.kind === 'auto') b.ack?.(ack.status, ack.error);
    }
  })();
  const addr = await Promise.race([src.bound, running.then(() => Promise.reject(new Error('source ended before listening')))]);
  const url = `http://127.0.0.1:${addr.port}`;
  return {
    url,
    metrics,
    log,
    batches,
    events: () => batches.flatMap((b) => b.events),
    batchArrived(n) {
      if (batches.length >= n) return Promise.resolve(batches[n - 1]!);
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    async post(body, headers = {}, path = '/') {
      const res = await request(url + path, { method: 'POST', body, headers });
      const text = await res.body.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.statusCode, body: parsed, headers: res.headers as Record<string, unknown> };
    },
    async stop() {
      abort.abort();
      await running;
      chan.close();
      await consumer;
    },
  };
}
