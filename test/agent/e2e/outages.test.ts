// The agent through bad networks and a dead broker, against a broker of this test's own (fixed port,
// data kept across a restart). The broker advertises a TCP proxy to the agent (listener PLAINTEXT)
// and its real address to the test's reader (listener DIRECT), so only the agent's link misbehaves.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startBroker, type RunningBroker } from '../../kafka/broker.js';
import { httpGet, metricValue, startAgent, type AgentProcess } from '../../helpers/agent-process.js';
import { kafkaSkip, uniqueTopic } from '../../helpers/kafka.js';
import { SeqReader, SeqWriter } from '../../helpers/seq-lines.js';
import { TcpProxy } from '../../helpers/tcp-proxy.js';

let broker: RunningBroker | undefined;
let proxy: TcpProxy;
let brokerPort = 0;
let directPort = 0;
let props: Record<string, string>;
const dirs: string[] = [];
const agents: AgentProcess[] = [];

const direct = () => `127.0.0.1:${directPort}`;

async function bootBroker(dataDir?: string): Promise<RunningBroker> {
  return startBroker({
    port: brokerPort,
    dataDir,
    heap: '384m',
    extraListeners: [{ name: 'DIRECT', port: directPort, protocol: 'PLAINTEXT' }],
    extraProperties: props,
  });
}

function setup(topic: string, opts: { requestTimeoutMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'flowlog-outage-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'logs'));
  const cfg = join(dir, 'agent.yaml');
  writeFileSync(
    cfg,
    `data_dir: ${join(dir, 'data')}
api: { address: "127.0.0.1:0" }
spool: { sync: normal }
sources:
  app: { type: file, include: ["${join(dir, 'logs')}/app.log*"], glob_interval_ms: 100, rotate_wait_ms: 3000 }
sinks:
  kafka:
    type: kafka
    inputs: [app]
    bootstrap_servers: "127.0.0.1:${proxy.port}"
    topic: ${topic}
    compression: snappy
    request_timeout_ms: ${opts.requestTimeoutMs ?? 5000}
    connection_timeout_ms: 2000
    retry: { initial_backoff_ms: 100, max_backoff_ms: 5000 }
`,
  );
  return { dir, cfg, logs: join(dir, 'logs') };
}

describe.skipIf(kafkaSkip())('agent through outages', () => {
  beforeAll(async () => {
    brokerPort = await freePort();
    directPort = await freePort();
    proxy = new TcpProxy(brokerPort);
    await proxy.listen();
    props = {
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port},DIRECT://127.0.0.1:${directPort}`,
    };
    broker = await bootBroker();
  }, 120_000);

  afterAll(async () => {
    for (const a of agents) a.child.kill('SIGKILL');
    await proxy?.close();
    await broker?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }, 60_000);

  it('loses nothing while a proxy drops, stalls and resets the link 10 times', { timeout: 150_000 }, async () => {
    const n = 40_000;
    const topic = uniqueTopic('proxy');
    const s = setup(topic);
    const reader = new SeqReader(direct(), topic, n);
    await reader.start();
    const agent = startAgent(s.cfg);
    agents.push(agent);
    const port = await agent.apiPort;
    const writer = new SeqWriter(s.logs, 9000);
    const writing = writer.writePaced(n, 2000);
    const faults: string[] = [];
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 800 + Math.random() * 800));
      const kind = (['drop', 'stall', 'reset'] as const)[i % 3]!;
      faults.push(kind);
      if (kind === 'drop') await proxy.drop(1500);
      else if (kind === 'stall') await proxy.stall(2500);
      else proxy.reset();
    }
    await writing;
    const all = await reader.waitFor(n, 90_000);
    const metrics = (await httpGet(port, '/metrics')).body;
    agent.child.kill('SIGTERM');
    const exit = await agent.exit;
    await reader.stop();
    const missing = reader.missing(n);
    console.log(`[outage] proxy faults ${faults.join(',')}: missing ${missing.length}, duplicates ${reader.duplicates()}, retries ${metricValue(metrics, 'flowlog_sink_retries_total')}, connections ${proxy.connections}`);
    expect(missing.slice(0, 10)).toEqual([]);
    expect(all).toBe(true);
    expect(faults).toHaveLength(10);
    expect(proxy.connections).toBeGreaterThan(1); // the link really went down and came back
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('loses nothing when the broker is stopped for 60 s and restarted; /health says degraded meanwhile; no spinning', { timeout: 170_000 }, async () => {
    const n = 30_000;
    const topic = uniqueTopic('restart');
    const s = setup(topic);
    const pre = new SeqReader(direct(), topic, n);
    await pre.start(); // creates the topic; read again from the start after the restart
    await pre.stop();
    const agent = startAgent(s.cfg);
    agents.push(agent);
    const port = await agent.apiPort;
    const writer = new SeqWriter(s.logs, 7000);
    writer.write(10_000);
    // broker goes away while lines keep coming
    await broker!.stop({ keepData: true });
    const outageStart = Date.now();
    const cpu0 = metricValue((await httpGet(port, '/metrics')).body, 'process_cpu_seconds_total');
    const writing = writer.writePaced(n - 10_000, 500);
    let degraded: { status: number; body: string } | null = null;
    while (Date.now() - outageStart < 60_000) {
      const h = await httpGet(port, '/health');
      if (h.status === 503 && !degraded) degraded = h;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const cpu1 = metricValue((await httpGet(port, '/metrics')).body, 'process_cpu_seconds_total');
    broker = await bootBroker(broker!.dataDir);
    await writing;
    const reader = new SeqReader(direct(), topic, n);
    await reader.start();
    const all = await reader.waitFor(n, 90_000);
    agent.child.kill('SIGTERM');
    const exit = await agent.exit;
    await reader.stop();
    const missing = reader.missing(n);
    console.log(`[outage] broker down 60 s: agent CPU during outage ${(cpu1 - cpu0).toFixed(2)} s; missing ${missing.length}, duplicates ${reader.duplicates()}`);
    expect(degraded).not.toBeNull();
    expect(JSON.parse(degraded!.body)).toMatchObject({ status: 'degraded', sinks: { kafka: false } });
    expect(missing.slice(0, 10)).toEqual([]);
    expect(all).toBe(true);
    // a retry loop that spins would burn most of a core over the minute
    expect(cpu1 - cpu0).toBeLessThan(20);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
