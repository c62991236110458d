// Runs `flowlog agent -c FILE` as a child process (TypeScript through tsx), collects its JSON log
// lines from stderr, and finds the port its API listens on.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(root, 'cli', 'main.ts');

export interface AgentProcess {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  /** Resolves with the API port once the agent logged it. */
  apiPort: Promise<number>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout: () => string;
}

export function startAgent(config: string, opts: { args?: string[]; stdin?: 'pipe' | 'ignore'; env?: NodeJS.ProcessEnv } = {}): AgentProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'agent', '-c', config, ...(opts.args ?? [])], {
    cwd: root,
    stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, FLOWLOG_LOG: 'info', ...opts.env },
  });
  const logs: Record<string, unknown>[] = [];
  let out = '';
  let resolvePort!: (p: number) => void;
  const apiPort = new Promise<number>((r) => (resolvePort = r));
  let buf = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        const rec = JSON.parse(line) as Record<string, unknown>;
        logs.push(rec);
        if (rec.msg === 'api listening') resolvePort(Number(String(rec.address).split(':').pop()));
      } catch {
        logs.push({ raw: line });
      }
    }
  });
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => (out += d));
  // 'close' (after the process exited and its stdio ended), not 'exit': stdout() is complete then
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('close', (code, signal) => r({ code, signal })));
  return { child, logs, apiPort, exit, stdout: () => out };
}

export async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

/** The value of one Prometheus series in a /metrics text (sum over series when labels are partial). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (.+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const ls = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => ls.includes(`${k}="${v}"`))) {
      sum += Number(m[3]);
      found = true;
    }
  }
  return found ? sum : NaN;
}
