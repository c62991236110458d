// SIGTERM with a broker that cannot be reached: the agent stops its sources, commits what they read
// to the spool, tries to send until --shutdown-timeout, exits 0, and keeps the unsent records; the
// next start (broker reachable) sends them all. Also: a bad config at start exits 1 naming file:line.
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

describe.skipIf(kafkaSkip())('agent shutdown', () => {
  it('SIGTERM with Kafka down exits 0 at the deadline, keeps the spooled records, and the next start sends them', { timeout: 120_000 }, async () => {
    const n = 5000;
    const dir = mkdtempSync(join(tmpdir(), 'flowlog-term-'));
    dirs.push(dir);
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const topic = uniqueTopic('term');
    const cfg = join(dir, 'agent.yaml');
    const config = (bootstrap: string) => `data_dir: ${join(dir, 'data')}
api: { address: "127.0.0.1:0" }
sources:
  app: { type: file, include: ["${logs}/*.log"], glob_interval_ms: 100 }
sinks:
  kafka: { type: kafka, inputs: [app], bootstrap_servers: "${bootstrap}", topic: ${topic}, connection_timeout_ms: 500, retry: { initial_backoff_ms: 100, max_backoff_ms: 500 } }
`;
    writeFileSync(cfg, config(`127.0.0.1:${await freePort()}`));
    new SeqWriter(logs, 1_000_000).write(n);
    const a1 = startAgent(cfg, { args: ['--shutdown-timeout', '1500'] });
    agents.push(a1);
    const port = await a1.apiPort;
    const end = Date.now() + 60_000;
    while (Date.now() < end && !(metricValue((await httpGet(port, '/metrics')).body, 'flowlog_spool_appended_records_total') >= n)) await new Promise((r) => setTimeout(r, 200));
    a1.child.kill('SIGTERM');
    expect(await a1.exit).toEqual({ code: 0, signal: null });
    const left = a1.logs.find((l) => l.msg === 'records left in the spool for the next start');
    expect(left?.records).toBe(n);
    expect(a1.logs.find((l) => l.msg === 'agent stopped')?.clean).toBe(false);

    writeFileSync(cfg, config(kafkaBootstrap()));
    const reader = new SeqReader(kafkaBootstrap(), topic, n);
    await reader.start();
    const a2 = startAgent(cfg);
    agents.push(a2);
    await a2.apiPort;
    const all = await reader.waitFor(n, 60_000);
    a2.child.kill('SIGTERM');
    expect(await a2.exit).toEqual({ code: 0, signal: null });
    await reader.stop();
    expect(reader.missing(n)).toEqual([]);
    expect(all).toBe(true);
  });

  it('refuses to start on a bad config, exiting 1 with file:line and the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlog-bad-'));
    dirs.push(dir);
    const cfg = join(dir, 'agent.yaml');
    writeFileSync(cfg, `data_dir: ${dir}\nsources:\n  in: { type: stdin }\nsinks:\n  k: { type: kafka, inputs: [in], bootstrap_servers: "x:1", topic: "a.{{ ns }}" }\n`);
    const a = startAgent(cfg);
    agents.push(a);
    expect((await a.exit).code).toBe(1);
    const text = a.logs.map((l) => String(l.raw ?? JSON.stringify(l))).join('\n');
    expect(text).toMatch(/agent\.yaml:5:\d+: sinks\.k\.default_topic: a templated topic needs default_topic/);
  });
});
