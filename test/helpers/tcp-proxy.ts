// A TCP proxy (node:net) between a client and a server that can misbehave on demand:
//   drop():  closes every connection and refuses new ones for a while (listener down),
//   stall(): stops forwarding in both directions for a while, holding the bytes, then resumes,
//   reset(): aborts every connection with a TCP RST.
import { createServer, connect, type Server, type Socket } from 'node:net';

interface Pair {
  a: Socket;
  b: Socket;
}

export class TcpProxy {
  private server: Server | null = null;
  private readonly pairs = new Set<Pair>();
  private stalled = false;
  private readonly held: (() => void)[] = [];
  port = 0;
  connections = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {}

  async listen(port = 0): Promise<number> {
    const server = createServer((a) => this.accept(a));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const addr = server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : port;
    return this.port;
  }

  private accept(a: Socket): void {
    this.connections++;
    const b = connect({ host: this.targetHost, port: this.targetPort });
    const pair = { a, b };
    this.pairs.add(pair);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (d: Buffer) => {
        if (this.stalled) this.held.push(() => !to.destroyed && to.write(d));
        else if (!to.destroyed) to.write(d);
      });
    forward(a, b);
    forward(b, a);
    const end = () => {
      this.pairs.delete(pair);
      a.destroy();
      b.destroy();
    };
    a.on('error', end).on('close', end);
    b.on('error', end).on('close', end);
  }

  /** Closes all connections (FIN) and refuses new ones for `ms`. */
  async drop(ms: number): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const p of this.pairs) (p.a.destroy(), p.b.destroy());
    this.pairs.clear();
    if (s) await new Promise<void>((r) => s.close(() => r()));
    await new Promise((r) => setTimeout(r, ms));
    await this.listen(this.port);
  }

  /** Holds every byte in both directions for `ms`, then delivers them in order. */
  async stall(ms: number): Promise<void> {
    this.stalled = true;
    await new Promise((r) => setTimeout(r, ms));
    this.stalled = false;
    for (const f of this.held.splice(0)) f();
  }

  /** Aborts every connection with RST. */
  reset(): void {
    for (const p of this.pairs) {
      p.a.resetAndDestroy();
      p.b.resetAndDestroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.reset();
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
