// http_server ingest throughput: flowlog's source (auth, decode, map to events, bounded channel, ack)
// against a baseline in the same run: a bare node:http server that only reads the body and
// JSON.parses each line (the least any JSON intake must do). Both answer after the batch is handed
// over; here the "agent" acks at once (no spool), so this measures the HTTP + decode path only.
// Run: node --import tsx bench/http-ingest.ts   (prints a markdown table; noisy on a shared machine)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync, gunzipSync } from 'node:zlib';
import { Agent, request } from 'undici';
import { Channel } from '../core/channel.js';
import type { EventBatch } from '../core/component.js';
import { memoryLogger } from '../core/telemetry/logger.js';
import { Metrics } from '../core/telemetry/metrics.js';
import { httpServerConfig } from '../agent/sources/http/config.js';
import { HttpServerSource } from '../agent/sources/http/source.js';

const PER_REQUEST = 500;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
const CONCURRENCY = 8;

function makeBody(): string {
  let s = '';
  for (let i = 0; i < PER_REQUEST; i++) {
    s +=
      JSON.stringify({
        message: `GET /api/v1/items/${i} 200 ${i * 3}ms user=u${i % 97}`,
        timestamp: new Date().toISOString(),
        host: 'node-1',
        level: 'info',
        kubernetes: { pod_namespace: 'shop', pod_name: `cart-${i % 7}`, container_name: 'cart', pod_labels: { app: 'cart' } },
      }) + '\n';
  }
  return s;
}

async function drive(url: string, body: string | Buffer, headers: Record<string, string>): Promise<number> {
  const dispatcher = new Agent({ connections: CONCURRENCY });
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        next++;
        const res = await request(url, { method: 'POST', body, headers, dispatcher });
        await res.body.dump();
        if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await dispatcher.close();
  return (REQUESTS * PER_REQUEST) / secs;
}

async function baseline(gzip: boolean, body: string | Buffer, headers: Record<string, string>): Promise<number> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let buf = Buffer.concat(chunks);
      if (gzip) buf = gunzipSync(buf);
      let n = 0;
      for (const line of buf.toString('utf8').split('\n')) if (line) (JSON.parse(line), n++);
      res.end(`{"accepted":${n}}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const rate = await drive(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, body, headers);
  await new Promise((r) => server.close(r));
  return rate;
}

async function flowlog(body: string | Buffer, headers: Record<string, string>): Promise<number> {
  const src = new HttpServerSource(httpServerConfig.parse({ address: '127.0.0.1:0', auth: { token: 'bench-token-0123456789' } }), { configDir: '.', dataDir: '.' });
  const chan = new Channel<EventBatch>({ capacity: 16_384, weigh: (b) => b.events.length });
  const abort = new AbortController();
  const running = src.run({ name: 'bench', signal: abort.signal, log: memoryLogger(), metrics: new Metrics(), dataDir: '.', out: chan, checkpoints: new Map() });
  const consumer = (async () => {
    for await (const b of chan) b.ack?.('delivered');
  })();
  const addr = await src.bound;
  const rate = await drive(`http://127.0.0.1:${addr.port}/`, body, { ...headers, authorization: 'Bearer bench-token-0123456789' });
  abort.abort();
  await running;
  chan.close();
  await consumer;
  return rate;
}

const text = makeBody();
const gz = gzipSync(text);
const rows: string[] = [];
for (const [name, body, headers, gzip] of [
  ['NDJSON', text, { 'content-type': 'application/x-ndjson' }, false],
  ['NDJSON gzip', gz, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }, true],
] as const) {
  await baseline(gzip, body, headers); // warm-up
  const base = await baseline(gzip, body, headers);
  await flowlog(body, headers); // warm-up
  const ours = await flowlog(body, headers);
  rows.push(`| ${name} | ${Math.round(base).toLocaleString('en')} | ${Math.round(ours).toLocaleString('en')} | ${(ours / base).toFixed(2)} |`);
}
console.log(`\n### http_server ingest (${REQUESTS} requests × ${PER_REQUEST} records, ${CONCURRENCY} connections, ${(text.length / 1024).toFixed(0)} KiB/request raw, ${(gz.length / 1024).toFixed(0)} KiB gzip)\n`);
console.log('| body | baseline: read + JSON.parse (events/s) | flowlog http_server (events/s) | ratio |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(r);
