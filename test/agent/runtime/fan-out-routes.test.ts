// Topology with fan-out and sinks on different inputs: one source → two WASM filters → two Kafka
// sinks (one per filter) and a console sink fed by both. One spool serves all three sinks; each sink
// must get exactly the entries meant for it. With stdin, closing it makes the agent drain and exit 0;
// with the file source, a restart proves the fanned-out batches' checkpoints were committed (joined
// across both branches): nothing is read twice. One filter runs in a worker thread with several
// batches queued on it (the stage's window): its output must still arrive complete and in order.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../../helpers/agent-process.js';
import { consumeAll } from '../../helpers/consume.js';
import { kafkaBootstrap, kafkaClient, kafkaSkip, uniqueTopic } from '../../helpers/kafka.js';

const dirs: string[] = [];
const agents: AgentProcess[] = [];
afterAll(() => {
  for (const a of agents) a.child.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(kafkaSkip())('agent topology', () => {
  it('fans out to two transforms and routes each sink only its inputs through one spool', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlog-topo-'));
    dirs.push(dir);
    const ta = uniqueTopic('topo-a');
    const tb = uniqueTopic('topo-b');
    const cfg = join(dir, 'agent.yaml');
    writeFileSync(
      cfg,
      `data_dir: ${join(dir, 'data')}
api: { address: "127.0.0.1:0" }
sources:
  in: { type: stdin }
transforms:
  only_a: { type: filter, inputs: [in], condition: { body_contains: "A" } }
  only_b: { type: filter, inputs: [in], condition: { body_contains: "B" }, worker_thread: true }
sinks:
  kafka_a: { type: kafka, inputs: [only_a], bootstrap_servers: "${kafkaBootstrap()}", topic: ${ta}, framing: single }
  kafka_b: { type: kafka, inputs: [only_b], bootstrap_servers: "${kafkaBootstrap()}", topic: ${tb}, framing: single, key_field: flowlog.source }
  both: { type: console, inputs: [only_a, only_b], encoding: { codec: text } }
`,
    );
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) lines.push(`${['A', 'B', 'AB', 'C'][i % 4]}-${i}`);
    const agent = startAgent(cfg, { stdin: 'pipe' });
    agents.push(agent);
    await agent.apiPort;
    agent.child.stdin!.end(lines.join('\n') + '\n');
    const exit = await agent.exit;
    expect(exit).toEqual({ code: 0, signal: null });
    const wantA = lines.filter((l) => l.includes('A'));
    const wantB = lines.filter((l) => l.includes('B'));
    const gotA = (await consumeAll(kafkaBootstrap(), [ta], { events: wantA.length })).map((m) => JSON.parse(m.value.toString()).body);
    const gotB = await consumeAll(kafkaBootstrap(), [tb], { events: wantB.length });
    expect(gotA).toEqual(wantA);
    expect(gotB.map((m) => JSON.parse(m.value.toString()).body)).toEqual(wantB);
    expect(new Set(gotB.map((m) => m.key))).toEqual(new Set(['in']));
    // the console got both branches: every A line and every B line (AB lines twice)
    const out = agent.stdout().trim().split('\n').sort();
    expect(out).toEqual([...wantA, ...wantB].sort());
  });

  it('commits a fanned-out batch\'s file checkpoints once both branches are in: a restart reads nothing twice', { timeout: 150_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlog-topo-'));
    dirs.push(dir);
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const ta = uniqueTopic('join-a');
    const tb = uniqueTopic('join-b');
    const cfg = join(dir, 'agent.yaml');
    writeFileSync(
      cfg,
      `data_dir: ${join(dir, 'data')}
api: { address: "127.0.0.1:0" }
sources:
  app: { type: file, include: ["${logs}/*.log"], glob_interval_ms: 100 }
transforms:
  only_a: { type: filter, inputs: [app], condition: { body_contains: "A" } }
  only_b: { type: filter, inputs: [app], condition: { body_contains: "B" } }
sinks:
  kafka_a: { type: kafka, inputs: [only_a], bootstrap_servers: "${kafkaBootstrap()}", topic: ${ta}, framing: single }
  kafka_b: { type: kafka, inputs: [only_b], bootstrap_servers: "${kafkaBootstrap()}", topic: ${tb}, framing: single }
`,
    );
    const lines: string[] = [];
    for (let i = 0; i < 4000; i++) lines.push(`${['A', 'B', 'AB', 'C'][i % 4]}-${i}`);
    writeFileSync(join(logs, 'app.log'), lines.join('\n') + '\n');
    const wantA = lines.filter((l) => l.includes('A'));
    const wantB = lines.filter((l) => l.includes('B'));
    const admin = kafkaClient().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: ta }, { topic: tb }], waitForLeaders: true });
    await admin.disconnect();
    const first = startAgent(cfg);
    agents.push(first);
    await first.apiPort;
    expect(await consumeAll(kafkaBootstrap(), [ta], { events: wantA.length })).toHaveLength(wantA.length);
    expect(await consumeAll(kafkaBootstrap(), [tb], { events: wantB.length })).toHaveLength(wantB.length);
    first.child.kill('SIGTERM');
    expect(await first.exit).toEqual({ code: 0, signal: null });

    const second = startAgent(cfg);
    agents.push(second);
    await second.apiPort;
    appendFileSync(join(logs, 'app.log'), 'AB-final\n');
    // the source resumes from its checkpoint: only the new line arrives, once in each topic
    const gotA = (await consumeAll(kafkaBootstrap(), [ta], { events: wantA.length + 1 })).map((m) => JSON.parse(m.value.toString()).body);
    const gotB = (await consumeAll(kafkaBootstrap(), [tb], { events: wantB.length + 1 })).map((m) => JSON.parse(m.value.toString()).body);
    second.child.kill('SIGTERM');
    expect(await second.exit).toEqual({ code: 0, signal: null });
    expect(gotA).toEqual([...wantA, 'AB-final']);
    expect(gotB).toEqual([...wantB, 'AB-final']);
  });
});
