// The agent as a child process with a sink that cannot deliver: the spool fills to max_bytes and the
// file source stops reading (when_full: block) instead of growing memory; a SIGHUP with a broken
// config is refused while the agent keeps running; a SIGHUP with a config pointing at the real broker
// takes effect and every line, including those held back, arrives.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../kafka/broker.js';
import { httpGet, metricValue, startAgent, type AgentProcess } from '../../helpers/agent-process.js';
import { kafkaBootstrap, kafkaSkip, uniqueTopic } from '../../helpers/kafka.js';
import { SeqReader, SeqWriter } from '../../helpers/seq-lines.js';

const dirs: string[] = [];
const agents: AgentProcess[] = [];
afterAll(() => {
  for (const a of agents) a.child.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const until = async (what: () => Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await what()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
};

describe.skipIf(kafkaSkip())('agent backpressure and reload', () => {
  it('pauses the source when the spool is full, refuses a bad reload, applies a good one, loses nothing', { timeout: 150_000 }, async () => {
    const n = 40_000; // ~8 MB of incompressible lines against a 1 MiB spool
    const dir = mkdtempSync(join(tmpdir(), 'flowlog-bp-'));
    dirs.push(dir);
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const topic = uniqueTopic('bp');
    const deadPort = await freePort();
    const cfgFile = join(dir, 'agent.yaml');
    const config = (bootstrap: string) => `data_dir: ${join(dir, 'data')}
api: { address: "127.0.0.1:0" }
spool: { sync: normal, max_bytes: 1MiB, batch_max_bytes: 128KiB, when_full: block, min_free_bytes: 0 }
sources:
  app: { type: file, include: ["${logs}/app.log*"], glob_interval_ms: 100, batch_size: 512 }
sinks:
  kafka:
    type: kafka
    inputs: [app]
    bootstrap_servers: "${bootstrap}"
    topic: ${topic}
    connection_timeout_ms: 500
    retry: { initial_backoff_ms: 100, max_backoff_ms: 1000 }
`;
    writeFileSync(cfgFile, config(`127.0.0.1:${deadPort}`));
    const writer = new SeqWriter(logs, 15_000, true);
    writer.write(n);
    const agent = startAgent(cfgFile);
    agents.push(agent);
    const port = await agent.apiPort;
    const metrics = async () => (await httpGet(port, '/metrics')).body;

    // the spool fills up and the source stops: its count stays put, well short of what was written
    let read = 0;
    const paused = await until(async () => {
      const m = await metrics();
      const now = metricValue(m, 'flowlog_component_sent_events_total', { component: 'app' });
      const stable = now === read && now > 0;
      read = now;
      return stable && metricValue(m, 'flowlog_spool_stored_bytes') > 512 * 1024;
    }, 60_000);
    expect(paused).toBe(true);
    expect(read).toBeLessThan(n);
    const health = await httpGet(port, '/health');
    expect(health.status).toBe(503);
    expect(JSON.parse(health.body).status).toBe('degraded');
    const rss = metricValue(await metrics(), 'process_resident_memory_bytes');

    // a broken config is refused; the agent keeps running the old one
    writeFileSync(cfgFile, config(`127.0.0.1:${deadPort}`).replace('topic:', 'topik:'));
    agent.child.kill('SIGHUP');
    expect(await until(async () => metricValue(await metrics(), 'flowlog_agent_reloads_total', { result: 'refused' }) === 1, 30_000)).toBe(true);
    expect(agent.logs.some((l) => l.msg === 'config reload refused; the running config stays' && /topik/.test(String(l.error)))).toBe(true);
    expect(metricValue(await metrics(), 'flowlog_agent_state', { state: 'running' })).toBe(1);

    // a good config takes effect: the held-back lines and the rest arrive
    const reader = new SeqReader(kafkaBootstrap(), topic, n);
    await reader.start();
    writeFileSync(cfgFile, config(kafkaBootstrap()));
    agent.child.kill('SIGHUP');
    const all = await reader.waitFor(n, 90_000);
    const after = await metrics();
    agent.child.kill('SIGTERM');
    const exit = await agent.exit;
    await reader.stop();
    const missing = reader.missing(n);
    if (process.env.FLOWLOG_DEBUG_LOGS) writeFileSync(process.env.FLOWLOG_DEBUG_LOGS, agent.logs.map((l) => JSON.stringify(l)).join('\n') + `\nmissing ${missing.length} first ${missing[0]} last ${missing[missing.length - 1]}\n`);
    console.log(`[backpressure] source paused at ${read}/${n} lines, RSS ${(rss / 2 ** 20).toFixed(0)} MiB; after reload: missing ${missing.length}, duplicates ${reader.duplicates()}`);
    expect(metricValue(after, 'flowlog_agent_reloads_total', { result: 'ok' })).toBe(1);
    expect(missing.slice(0, 10)).toEqual([]);
    expect(all).toBe(true);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
