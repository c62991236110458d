// The HTTP endpoint of the agent and the aggregator (127.0.0.1:8686 unless `api.address` says otherwise):
//   GET /metrics  Prometheus text format 0.0.4
//   GET /health   200 {"status":"ok"} when ready; 503 with "degraded" (a sink cannot deliver and the
//                 spool holds records), "starting" or "stopping".
import { createServer, type Server } from 'node:http';
import type { Metrics } from './metrics.js';
import { FlowlogError } from '../errors.js';

export interface HealthSource {
  health(): { status: string };
}

export function parseAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:\s]+)):(\d{1,5})$/.exec(address);
  if (!m) throw new FlowlogError('CONFIG_INVALID', `api.address "${address}": expected host:port`);
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}

export class ApiServer {
  private server: Server | null = null;

  constructor(
    private readonly metrics: Metrics,
    private readonly health: HealthSource,
  ) {}

  async listen(address: string): Promise<{ host: string; port: number }> {
    const { host, port } = parseAddress(address);
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(this.metrics.render());
      } else if (path === '/health') {
        const h = this.health.health();
        res.writeHead(h.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(h) + '\n');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /health\n');
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new FlowlogError('CONFIG_INVALID', `api.address ${address}: cannot listen: ${e.message}`, { cause: e })));
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const a = server.address();
    return { host, port: typeof a === 'object' && a ? a.port : port };
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
