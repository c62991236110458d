// One ingest request from start to answer: method/path/auth checks, a bounded body read, decode, then
// `out.send({events, ack})` and the answer only once the agent acknowledges the batch (after the spool
// commit that contains it): 200 delivered, 503 rejected / pipeline full too long / not durable in time.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AckStatus, EventBatch, Output } from '../../../core/component.js';
import { describeError } from '../../../core/errors.js';
import { nowParts, type LogEvent } from '../../../core/event.js';
import type { Logger } from '../../../core/telemetry/logger.js';
import type { Counter, Metrics } from '../../../core/telemetry/metrics.js';
import type { Authorizer } from './auth.js';
import type { HttpServerConfig } from './config.js';
import { HttpFailure, decompress, parseRecords, recordToEvent } from './decode.js';

/** After a refused body, at most this much more is read (and discarded) so the client sees the answer. */
const DRAIN_LIMIT = 16 * 1024 * 1024;

export interface IngestDeps {
  name: string;
  cfg: HttpServerConfig;
  out: Output<EventBatch>;
  authorize: Authorizer;
  log: Logger;
  metrics: Metrics;
  /** Aborted on shutdown. */
  signal: AbortSignal;
  /** Resolves when the shutdown grace is over: waiting requests then get 503. */
  graceOver: Promise<void>;
}

export class IngestHandler {
  private readonly byStatus = new Map<number, Counter>();
  private readonly events: Counter;
  private readonly bytes: Counter;
  private readonly decoded: Counter;
  private active = 0;

  constructor(private readonly d: IngestDeps) {
    const c = { component: d.name };
    this.events = d.metrics.counter('flowlog_source_events_total', 'Events read by a source', c);
    this.bytes = d.metrics.counter('flowlog_http_received_bytes_total', 'Request body bytes received, as sent (compressed)', c);
    this.decoded = d.metrics.counter('flowlog_http_decoded_bytes_total', 'Request body bytes after decompression', c);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let status = 500;
    this.active++;
    try {
      if (this.active > this.d.cfg.max_concurrent_requests && req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Retry-After', String(this.d.cfg.retry_after_secs));
        status = this.refuse(req, res, 503, `too many requests in progress (max_concurrent_requests ${this.d.cfg.max_concurrent_requests}); retry later`);
        return;
      }
      status = await this.process(req, res);
    } catch (e) {
      if (e instanceof HttpFailure) {
        status = e.status;
        this.answer(res, e.status, { error: e.reason });
      } else {
        this.d.log.error('http_server request failed', { error: describeError(e) });
        this.answer(res, 500, { error: 'internal error' });
      }
    } finally {
      this.active--;
      this.count(status);
    }
  }

  private count(status: number): void {
    let c = this.byStatus.get(status);
    if (!c) {
      c = this.d.metrics.counter('flowlog_http_requests_total', 'HTTP requests answered, by status', { component: this.d.name, status: String(status) });
      this.byStatus.set(status, c);
    }
    c.inc();
  }

  private async process(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const { cfg } = this.d;
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' || req.method === 'HEAD') {
      // health checks (Vector's http sink healthcheck, load balancers)
      this.answer(res, 200, { status: 'ok' });
      return 200;
    }
    if (req.method !== 'POST' && req.method !== 'PUT') {
      res.setHeader('Allow', 'POST, PUT, GET, HEAD');
      return this.refuse(req, res, 405, `method ${req.method} is not allowed: POST the records`);
    }
    if (path !== cfg.path) return this.refuse(req, res, 404, `no ingest endpoint at ${path}; records go to ${cfg.path}`);
    if (!this.d.authorize(req.headers.authorization)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="flowlog"');
      return this.refuse(req, res, 401, 'missing or wrong bearer token');
    }
    const ctype = (req.headers['content-type'] ?? '').toLowerCase();
    if (ctype.includes('msgpack')) {
      return this.refuse(req, res, 415, 'msgpack bodies are not supported: send JSON (Fluent Bit: Format json_lines or json)');
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > cfg.max_body_bytes) {
      return this.refuse(req, res, 413, `the body (${declared} bytes) is larger than max_body_bytes (${cfg.max_body_bytes})`);
    }
    const raw = await this.readBody(req, cfg.max_body_bytes);
    if (raw === null) return this.refuse(req, res, 413, `the body is larger than max_body_bytes (${cfg.max_body_bytes})`, true);
    this.bytes.inc(raw.length);
    const body = await decompress(raw, req.headers['content-encoding'], cfg.max_body_bytes);
    this.decoded.inc(body.length);
    const records = parseRecords(body.toString('utf8'), cfg.decoding.codec);
    const events: LogEvent[] = new Array(records.length);
    const now = nowParts();
    for (let i = 0; i < records.length; i++) events[i] = recordToEvent(records[i], this.d.name, now);
    if (events.length === 0) {
      this.answer(res, 200, { accepted: 0 });
      return 200;
    }
    const [ackStatus, err] = await this.deliver(events);
    if (ackStatus === 'delivered') {
      this.events.inc(events.length);
      this.answer(res, 200, { accepted: events.length });
      return 200;
    }
    if (ackStatus === 'dropped') {
      // dropped by the agent's own policy (spool when_full: drop_oldest...), counted there; retrying cannot help
      this.answer(res, 200, { accepted: 0, dropped: events.length });
      return 200;
    }
    res.setHeader('Retry-After', String(cfg.retry_after_secs));
    this.answer(res, 503, { error: err });
    return 503;
  }

  /** Queues the batch and waits for its acknowledgement; [status, reason] ('rejected' covers every 503). */
  private async deliver(events: LogEvent[]): Promise<[AckStatus, string]> {
    const { cfg, signal } = this.d;
    let settle!: (v: [AckStatus, string]) => void;
    const acked = new Promise<[AckStatus, string]>((r) => (settle = r));
    let done = false;
    const ack = (status: AckStatus, error?: Error) => {
      if (done) return;
      done = true;
      settle([status, status === 'rejected' ? `the agent could not store the records: ${error ? describeError(error) : 'rejected'}` : '']);
    };
    const sendSignal = AbortSignal.any([signal, AbortSignal.timeout(cfg.send_timeout_ms)]);
    let queued: boolean;
    try {
      queued = await this.d.out.send({ events, ack }, sendSignal);
    } catch (e) {
      if (signal.aborted) return ['rejected', 'flowlog is shutting down; retry'];
      if (sendSignal.aborted) return ['rejected', `the agent's pipeline stayed full for send_timeout_ms (${cfg.send_timeout_ms}); retry later`];
      return ['rejected', `the agent could not take the records: ${describeError(e)}`];
    }
    if (!queued) return ['rejected', "the agent's pipeline is full and drops new records; retry later"];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<[AckStatus, string]>((r) => {
      timer = setTimeout(() => r(['rejected', `the records were not durable within ack_timeout_ms (${cfg.ack_timeout_ms}); retry (they may be delivered twice)`]), cfg.ack_timeout_ms);
    });
    const grace = this.d.graceOver.then((): [AckStatus, string] => ['rejected', 'flowlog shut down before the records were durable; retry (they may be delivered twice)']);
    try {
      return await Promise.race([acked, timeout, grace]);
    } finally {
      clearTimeout(timer);
      done = true;
    }
  }

  /** The body, or null once it exceeds `max` bytes (then the rest is drained up to a limit). */
  private readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (over) return;
        if (size > max) {
          over = true;
          chunks.length = 0;
          resolve(null);
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => {
        if (!over) resolve(Buffer.concat(chunks, size));
      });
      req.on('error', (e) => reject(new HttpFailure(400, `the request body could not be read: ${e.message}`)));
      req.on('close', () => {
        if (!req.complete && !over) reject(new HttpFailure(400, 'the client closed the connection before the body ended'));
      });
    });
  }

  /** Answers with an error and closes the connection; an unread body is drained (bounded) first. */
  private refuse(req: IncomingMessage, res: ServerResponse, status: number, reason: string, partlyRead = false): number {
    res.setHeader('Connection', 'close');
    this.answer(res, status, { error: reason });
    if (!req.complete) {
      let drained = 0;
      const onData = (c: Buffer) => {
        drained += c.length;
        if (drained > DRAIN_LIMIT) req.destroy();
      };
      req.on('data', onData);
      if (!partlyRead) req.resume();
    }
    return status;
  }

  private answer(res: ServerResponse, status: number, body: Record<string, unknown>): void {
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }
}
