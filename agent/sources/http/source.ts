// The http_server source: receives what Vector's `http` sink and Fluent Bit's `http` output send
// (NDJSON or JSON arrays, optionally gzip) and answers each request only once its records are durable
// in the spool (the agent calls the batch's ack after the commit), so the sender's own retries work.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BuildEnv, Source, SourceContext } from '../../../core/component.js';
import { FlowlogError } from '../../../core/errors.js';
import { bearerAuthorizer, loadToken } from './auth.js';
import type { HttpServerConfig } from './config.js';
import { IngestHandler } from './server.js';

export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(i + 1)) };
}

export class HttpServerSource implements Source {
  private resolveBound!: (a: AddressInfo) => void;
  /** Resolves with the bound address once the server listens (port 0 picks a free port). */
  readonly bound = new Promise<AddressInfo>((r) => (this.resolveBound = r));

  constructor(
    private readonly cfg: HttpServerConfig,
    private readonly env: BuildEnv,
  ) {}

  async run(ctx: SourceContext): Promise<void> {
    const token = this.cfg.auth ? loadToken(this.cfg.auth, this.env.configDir) : undefined;
    let endGrace!: () => void;
    const graceOver = new Promise<void>((r) => (endGrace = r));
    const handler = new IngestHandler({
      name: ctx.name,
      cfg: this.cfg,
      out: ctx.out,
      authorize: bearerAuthorizer(token),
      log: ctx.log,
      metrics: ctx.metrics,
      signal: ctx.signal,
      graceOver,
    });
    const inflight = new Set<Promise<void>>();
    const server: Server = createServer((req, res) => {
      const p = handler.handle(req, res).finally(() => inflight.delete(p));
      inflight.add(p);
    });
    const { host, port } = splitAddress(this.cfg.address);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new FlowlogError('SOURCE_IO', `http_server ${ctx.name}: cannot listen on ${this.cfg.address}: ${e.message}`, { cause: e })));
      server.listen({ host, port }, () => resolve());
    });
    server.on('error', (e) => ctx.log.error('http_server error', { error: e.message }));
    const addr = server.address() as AddressInfo;
    ctx.log.info('http_server listening', { address: `${addr.address}:${addr.port}`, path: this.cfg.path, auth: token !== undefined });
    this.resolveBound(addr);

    if (!ctx.signal.aborted) await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
    // shutdown: stop accepting, let waiting requests get their ack for up to shutdown_grace_ms, then 503
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeIdleConnections();
    const timer = setTimeout(endGrace, this.cfg.shutdown_grace_ms);
    await Promise.all([...inflight]);
    clearTimeout(timer);
    endGrace();
    server.closeAllConnections();
    await closed;
  }
}
