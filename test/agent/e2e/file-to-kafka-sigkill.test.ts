// End to end with the real broker: the agent (a child process) is killed with SIGKILL ten times while
// sequence-numbered lines are written to rotating files; every line arrives (duplicates are reported).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAgent } from '../../helpers/agent-process.js';
import { kafkaBootstrap, kafkaSkip, uniqueTopic } from '../../helpers/kafka.js';
import { SeqReader, SeqWriter } from '../../helpers/seq-lines.js';
import { agentConfig, cleanup, LINES, tmp, track } from './fixture.js';

describe.skipIf(kafkaSkip())('agent: file → spool → Kafka under SIGKILL', () => {
  it('loses nothing when the agent is killed with SIGKILL 10 times while lines are written and rotated', { timeout: 600_000 }, async () => {
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
    const t0 = Date.now();
    const startups: number[] = []; // ms from spawn to API up: on a loaded machine this is where the time goes
    let started = Date.now();
    let agent = track(startAgent(cfg));
    while (kills < 10) {
      await agent.apiPort; // up and running
      startups.push(Date.now() - started);
      // let it work for a moment (and read/send some), then kill it hard
      const before = reader.distinct;
      const until = Date.now() + 4000;
      while (reader.distinct === before && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, Math.random() * 700));
      agent.child.kill('SIGKILL');
      const e = await agent.exit;
      expect(e.signal).toBe('SIGKILL');
      kills++;
      started = Date.now();
      agent = track(startAgent(cfg));
    }
    await writing;
    const tKilled = Date.now();
    const all = await reader.waitFor(n, 120_000);
    const tArrived = Date.now();
    await agent.apiPort; // signal handlers are installed by then
    agent.child.kill('SIGTERM');
    const slow = await Promise.race([agent.exit.then(() => false), new Promise<boolean>((r) => setTimeout(r, 30_000, true))]);
    // the agent's shutdown deadline is 10 s: past 30 s, show what it was doing
    if (slow) console.log(`[e2e] no exit 30 s after SIGTERM; agent log tail:\n${agent.logs.slice(-30).map((l) => JSON.stringify(l)).join('\n')}`);
    const exit = await agent.exit;
    const missing = reader.missing(n);
    console.log(`[e2e] ${n} lines, ${kills} SIGKILLs, ${writer.rotations} rotations: missing ${missing.length}, duplicates ${reader.duplicates()}`);
    const s = (ms: number) => (ms / 1000).toFixed(1);
    console.log(
      `[e2e] time: kills+writing ${s(tKilled - t0)} s (agent startups ${startups.map(s).join(' ')} s), last lines ${s(tArrived - tKilled)} s, SIGTERM exit ${s(Date.now() - tArrived)} s`,
    );
    expect(missing.slice(0, 10)).toEqual([]);
    expect(all).toBe(true);
    expect(kills).toBe(10);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
