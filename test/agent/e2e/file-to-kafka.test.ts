// End to end with the real broker and the agent as a child process: sequence-numbered lines written
// to a rotating file arrive in Kafka with none missing (duplicates are counted and reported), also
// when the agent is killed with SIGKILL ten times during the run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { httpGet, metricValue, startAgent, type AgentProcess } from '../../helpers/agent-process.js';
import { kafkaBootstrap, kafkaSkip, uniqueTopic } from '../../helpers/kafka.js';
import { SeqReader, SeqWriter } from '../../helpers/seq-lines.js';

/** Lines per run; FLOWLOG_E2E_LINES raises it (1,000,000 was measured separately, see docs/agent.md). */
const LINES = Number(process.env.FLOWLOG_E2E_LINES ?? 100_000);

function agentConfig(dir: string, bootstrap: string, topic: string): string {
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

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowlog-e2e-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function track(a: AgentProcess): AgentProcess {
  cleanup.push(() => void a.child.kill('SIGKILL'));
  return a;
}

describe.skipIf(kafkaSkip())('agent: file → spool → Kafka', () => {
  it(`delivers ${LINES} lines across rotations with none missing, reports metrics and health, exits 0 on SIGTERM`, { timeout: 170_000 }, async () => {
    const dir = tmp();
    const topic = uniqueTopic('e2e-file');
    const logs = join(dir, 'logs');
    rmSync(logs, { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(logs);
    const writer = new SeqWriter(logs, Math.ceil(LINES / 7));
    writer.write(Math.floor(LINES / 2)); // half before start (read from the beginning), half while running
    const reader = new SeqReader(kafkaBootstrap(), topic, LINES);
    cleanup.push(() => reader.stop());
    const agent = track(startAgent(agentConfig(dir, kafkaBootstrap(), topic)));
    const port = await agent.apiPort;
    await writer.writePaced(LINES - writer.next, 50_000);
    await reader.start();
    const all = await reader.waitFor(LINES, 120_000);
    const metrics = (await httpGet(port, '/metrics')).body;
    const health = await httpGet(port, '/health');
    agent.child.kill('SIGTERM');
    const exit = await agent.exit;
    const missing = reader.missing(LINES);
    console.log(`[e2e] ${LINES} lines, ${writer.rotations} rotations: missing ${missing.length}, duplicates ${reader.duplicates()}`);
    expect(missing.slice(0, 10)).toEqual([]);
    expect(all).toBe(true);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body).status).toBe('ok');
    expect(metricValue(metrics, 'flowlog_sink_events_total', { component: 'kafka' })).toBeGreaterThanOrEqual(LINES);
    expect(metricValue(metrics, 'flowlog_component_sent_events_total', { component: 'app' })).toBeGreaterThanOrEqual(LINES);
    expect(metricValue(metrics, 'flowlog_spool_appended_records_total')).toBeGreaterThanOrEqual(LINES);
    expect(metricValue(metrics, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('loses nothing when the agent is killed with SIGKILL 10 times while lines are written and rotated', { timeout: 170_000 }, async () => {
    const n = Math.min(LINES, 60_000);
    const dir = tmp();
    const topic = uniqueTopic('e2e-kill');
    const logs = join(dir, 'logs');
    (await import('node:fs')).mkdirSync(logs);
    const cfg = agentConfig(dir, kafkaBootstrap(), topic);
    const writer = new SeqWriter(logs, Math.ceil(n / 9));
    const reader = new SeqReader(kafkaBootstrap(), topic, n);
    cleanup.push(() => reader.stop());
    await reader.start();
    const writing = writer.writePaced(n, Math.max(2000, n / 25));
    let kills = 0;
    let agent = track(startAgent(cfg));
    while (kills < 10) {
      await agent.apiPort; // up and running
      // let it work for a moment (and read/send some), then kill it hard
      const before = reader.distinct;
      const until = Date.now() + 4000;
      while (reader.distinct === before && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, Math.random() * 700));
      agent.child.kill('SIGKILL');
      const e = await agent.exit;
      expect(e.signal).toBe('SIGKILL');
      kills++;
      agent = track(startAgent(cfg));
    }
    await writing;
    const all = await reader.waitFor(n, 120_000);
    await agent.apiPort; // signal handlers are installed by then
    agent.child.kill('SIGTERM');
    const exit = await agent.exit;
    const missing = reader.missing(n);
    console.log(`[e2e] ${n} lines, ${kills} SIGKILLs, ${writer.rotations} rotations: missing ${missing.length}, duplicates ${reader.duplicates()}`);
    expect(missing.slice(0, 10)).toEqual([]);
    expect(all).toBe(true);
    expect(kills).toBe(10);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
