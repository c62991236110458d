// End to end with the real broker and the agent as a child process: sequence-numbered lines written
// to a rotating file arrive in Kafka with none missing (duplicates are counted and reported), also
// with /metrics and /health checked on the way and a clean SIGTERM exit (the SIGKILL run is in
// file-to-kafka-sigkill.test.ts).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { httpGet, metricValue, startAgent } from '../../helpers/agent-process.js';
import { kafkaBootstrap, kafkaSkip, uniqueTopic } from '../../helpers/kafka.js';
import { SeqReader, SeqWriter } from '../../helpers/seq-lines.js';
import { agentConfig, cleanup, LINES, tmp, track } from './fixture.js';

describe.skipIf(kafkaSkip())('agent: file → spool → Kafka', () => {
  it(`delivers ${LINES} lines across rotations with none missing, reports metrics and health, exits 0 on SIGTERM`, { timeout: 300_000 }, async () => {
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

});
