// End to end with the real agent (child process), its SQLite spool and the real Kafka broker: senders
// shaped like Vector's http sink (gzip JSON arrays) and Fluent Bit's http output (json_lines) post
// sequence-numbered records and retry, as those senders do, until they get a 200. The agent is killed
// with SIGKILL three times while they post. Every record answered with 200 must reach Kafka: a 200
// means the records were in the spool, not merely received.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../../../helpers/agent-process.js';
import { kafkaBootstrap, kafkaSkip, uniqueTopic } from '../../../helpers/kafka.js';
import { SeqReader } from '../../../helpers/seq-lines.js';

const RECORDS = 20_000;
const PER_REQUEST = 200;
const SENDERS = 4;
const TOKEN = 'e2e-bearer-token-0123456789';

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Request `i`'s body: even requests as Vector sends them, odd ones as Fluent Bit does. */
function body(i: number): { body: Buffer | string; headers: Record<string, string> } {
  const recs = [];
  for (let k = 0; k < PER_REQUEST; k++) {
    const seq = i * PER_REQUEST + k;
    recs.push(i % 2 === 0 ? { message: `req=${i} seq=${seq} from=vector`, host: 'node-1', timestamp: new Date().toISOString(), source_type: 'file' } : { log: `req=${i} seq=${seq} from=fluent-bit`, date: Date.now() / 1000, stream: 'stdout' });
  }
  const auth = { authorization: `Bearer ${TOKEN}` };
  if (i % 2 === 0) return { body: gzipSync(JSON.stringify(recs)), headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' } };
  return { body: recs.map((r) => JSON.stringify(r)).join('\n') + '\n', headers: { ...auth, 'content-type': 'application/x-ndjson' } };
}

describe.skipIf(kafkaSkip())('http_server → agent spool → Kafka', () => {
  it(`every record answered 200 reaches Kafka, across 3 SIGKILLs (${RECORDS} records)`, { timeout: 170_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlog-http-e2e-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const topic = uniqueTopic('e2e-http');
    const cfg = join(dir, 'agent.yaml');
    writeFileSync(
      cfg,
      `data_dir: ${join(dir, 'data')}
api: { address: "127.0.0.1:0" }
sources:
  intake:
    type: http_server
    address: 127.0.0.1:${port}
    auth: { token: "\${INTAKE_TOKEN}" }
sinks:
  kafka:
    type: kafka
    inputs: [intake]
    bootstrap_servers: "${kafkaBootstrap()}"
    topic: ${topic}
    framing: single
`,
    );
    const env = { INTAKE_TOKEN: TOKEN };
    const reader = new SeqReader(kafkaBootstrap(), topic, RECORDS);
    cleanup.push(() => reader.stop());
    await reader.start();
    let agent: AgentProcess = startAgent(cfg, { env });
    cleanup.push(() => void agent.child.kill('SIGKILL'));

    const requests = RECORDS / PER_REQUEST;
    const ok = new Uint8Array(requests);
    let nextReq = 0;
    let retries = 0;
    const statuses = new Map<number, number>();
    const sender = async () => {
      while (nextReq < requests) {
        const i = nextReq++;
        const { body: b, headers } = body(i);
        // like Vector and Fluent Bit: retry until a 2xx (connection refused / reset while the agent restarts, 503)
        for (;;) {
          try {
            const res = await request(`http://127.0.0.1:${port}/`, { method: 'POST', body: b, headers });
            await res.body.dump();
            statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
            if (res.statusCode === 200) {
              ok[i] = 1;
              break;
            }
            expect(res.statusCode).toBe(503);
          } catch {
            /* the agent is down: retry */
          }
          retries++;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    const sending = Promise.all(Array.from({ length: SENDERS }, sender));
    for (let kill = 0; kill < 3; kill++) {
      // wait until some records were accepted since the last start, then kill hard
      const before = ok.reduce((a, b) => a + b, 0);
      while (ok.reduce((a, b) => a + b, 0) < Math.min(requests, before + 10 + kill * 5)) await new Promise((r) => setTimeout(r, 20));
      agent.child.kill('SIGKILL');
      expect((await agent.exit).signal).toBe('SIGKILL');
      agent = startAgent(cfg, { env });
    }
    await sending;
    expect(ok.every((x) => x === 1)).toBe(true);
    // the answered records are in the spool of the (last) agent, which delivers them
    const all = await reader.waitFor(RECORDS, 120_000);
    const missing = reader.missing(RECORDS);
    console.log(`[http e2e] ${RECORDS} records in ${requests} requests, 3 SIGKILLs: retries ${retries}, statuses ${JSON.stringify([...statuses])}, missing ${missing.length}, duplicates ${reader.duplicates()}`);
    expect(missing.slice(0, 10)).toEqual([]);
    expect(all).toBe(true);
    await agent.apiPort;
    agent.child.kill('SIGTERM');
    expect(await agent.exit).toEqual({ code: 0, signal: null });
  });
});
