// Shared fixture of the end-to-end agent tests: the agent config (file source → Kafka sink), temp
// directories and child agents that are always cleaned up after each test.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { AgentProcess } from '../../helpers/agent-process.js';

/** Lines per run (the issue asks for 1,000,000: ~45 s here on 2 loaded cores); FLOWLOG_E2E_LINES overrides. */
export const LINES = Number(process.env.FLOWLOG_E2E_LINES ?? 1_000_000);

export function agentConfig(dir: string, bootstrap: string, topic: string): string {
  const file = join(dir, 'agent.yaml');
  writeFileSync(
    file,
    `data_dir: ${join(dir, 'data')}
api: { address: "127.0.0.1:0" }
spool: { sync: normal }
sources:
  app:
    type: file
    include: ["${join(dir, 'logs')}/app.log*"]
    glob_interval_ms: 100
    rotate_wait_ms: 3000
sinks:
  kafka:
    type: kafka
    inputs: [app]
    bootstrap_servers: "${bootstrap}"
    topic: ${topic}
    key_field: log.file.name
    compression: lz4
`,
  );
  return file;
}

export const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

export function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowlog-e2e-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function track(a: AgentProcess): AgentProcess {
  cleanup.push(() => void a.child.kill('SIGKILL'));
  return a;
}

