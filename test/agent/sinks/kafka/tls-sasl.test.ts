// The Kafka sink over TLS and SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) against a broker of this
// test's own with an SSL listener and a SASL_SSL listener. The keystore is made with the JDK's
// keytool (self-signed, SAN IP:127.0.0.1); SCRAM users are created at storage format time.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaSinkConfig } from '../../../../agent/sinks/kafka/config.js';
import { KafkaSink } from '../../../../agent/sinks/kafka/sink.js';
import { Channel } from '../../../../core/channel.js';
import type { AckStatus, EventBatch } from '../../../../core/component.js';
import { newEvent } from '../../../../core/event.js';
import { memoryLogger } from '../../../../core/telemetry/logger.js';
import { Metrics } from '../../../../core/telemetry/metrics.js';
import { freePort, startBroker, type RunningBroker } from '../../../kafka/broker.js';
import { consumeAll } from '../../../helpers/consume.js';
import { kafkaSkip, uniqueTopic } from '../../../helpers/kafka.js';

const keytoolMissing = spawnSync('keytool', ['-help'], { stdio: 'ignore' }).error ? 'keytool (JDK) not installed' : '';

let broker: RunningBroker | undefined;
let dir = '';
let tlsPort = 0;
let saslPort = 0;
let caFile = '';

function sinkWith(extra: Record<string, unknown>, topic: string) {
  const cfg = kafkaSinkConfig.parse({ topic, framing: 'single', connection_timeout_ms: 3000, retry: { initial_backoff_ms: 50, max_backoff_ms: 300 }, ...extra });
  const sink = new KafkaSink(cfg, { configDir: dir, dataDir: dir });
  const metrics = new Metrics();
  const input = new Channel<EventBatch>({ capacity: 2 });
  const ac = new AbortController();
  const acks: AckStatus[] = [];
  const done = sink.run({ name: 'secure', signal: ac.signal, log: memoryLogger(), metrics, dataDir: dir, input });
  return { sink, metrics, input, ac, acks, done };
}

async function deliver(extra: Record<string, unknown>) {
  const topic = uniqueTopic('secure');
  const s = sinkWith(extra, topic);
  await s.input.send({ events: [newEvent('one'), newEvent('two')], ack: (st) => s.acks.push(st) });
  s.input.close();
  await s.done;
  expect(s.acks).toEqual(['delivered']);
  const msgs = await consumeAll(`127.0.0.1:${broker!.port}`, [topic], { events: 2 });
  expect(msgs.map((m) => JSON.parse(m.value.toString()).body)).toEqual(['one', 'two']);
}

/** A sink that must not get through: it keeps retrying (never acks) until stopped. */
async function refused(extra: Record<string, unknown>) {
  const s = sinkWith(extra, uniqueTopic('refused'));
  await s.input.send({ events: [newEvent('x')], ack: (st) => s.acks.push(st) });
  while ((s.metrics.valueOf('flowlog_sink_retries_total', { component: 'secure' }) ?? 0) < 2) await new Promise((r) => setTimeout(r, 100));
  s.ac.abort();
  await expect(s.done).rejects.toThrow();
  expect(s.acks).toEqual(['rejected']);
}

describe.skipIf(kafkaSkip() || keytoolMissing)('kafka sink over TLS and SASL', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowlog-tls-'));
    const ks = join(dir, 'broker.p12');
    const kt = (args: string[]) => {
      const r = spawnSync('keytool', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`keytool ${args[0]} failed: ${r.stderr}${r.stdout}`);
    };
    kt(['-genkeypair', '-alias', 'broker', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '3', '-dname', 'CN=localhost', '-ext', 'SAN=IP:127.0.0.1,DNS:localhost', '-keystore', ks, '-storetype', 'PKCS12', '-storepass', 'changeit', '-keypass', 'changeit']);
    caFile = join(dir, 'ca.pem');
    kt(['-exportcert', '-rfc', '-alias', 'broker', '-keystore', ks, '-storepass', 'changeit', '-file', caFile]);
    writeFileSync(join(dir, 'carol.pw'), 'carol-secret\n', { mode: 0o600 });
    tlsPort = await freePort();
    saslPort = await freePort();
    broker = await startBroker({
      heap: '384m',
      extraListeners: [
        { name: 'TLS', port: tlsPort, protocol: 'SSL' },
        { name: 'SECURE', port: saslPort, protocol: 'SASL_SSL' },
      ],
      extraProperties: {
        'ssl.keystore.location': ks,
        'ssl.keystore.password': 'changeit',
        'ssl.keystore.type': 'PKCS12',
        'ssl.key.password': 'changeit',
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
        'listener.name.secure.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";',
        'listener.name.secure.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
        'listener.name.secure.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      },
      formatArgs: ['--add-scram', 'SCRAM-SHA-256=[name=bob,password=bob-secret]', '--add-scram', 'SCRAM-SHA-512=[name=carol,password=carol-secret]'],
    });
  }, 120_000);

  afterAll(async () => {
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('delivers over TLS, verifying the broker certificate against ca_file', async () => {
    await deliver({ bootstrap_servers: `127.0.0.1:${tlsPort}`, tls: { ca_file: caFile } });
  });

  it('refuses a broker whose certificate does not verify (no ca_file, self-signed)', async () => {
    await refused({ bootstrap_servers: `127.0.0.1:${tlsPort}`, tls: { enabled: true } });
  });

  it('delivers with SASL PLAIN over TLS', async () => {
    await deliver({ bootstrap_servers: `127.0.0.1:${saslPort}`, tls: { ca_file: caFile }, sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' } });
  });

  it('delivers with SASL SCRAM-SHA-256 over TLS', async () => {
    await deliver({ bootstrap_servers: `127.0.0.1:${saslPort}`, tls: { ca_file: caFile }, sasl: { mechanism: 'scram-sha-256', username: 'bob', password: 'bob-secret' } });
  });

  it('delivers with SASL SCRAM-SHA-512 over TLS, the password read from password_file', async () => {
    await deliver({ bootstrap_servers: `127.0.0.1:${saslPort}`, tls: { ca_file: caFile }, sasl: { mechanism: 'scram-sha-512', username: 'carol', password_file: 'carol.pw' } });
  });

  it('does not deliver with a wrong SCRAM password (retries, never acks)', async () => {
    await refused({ bootstrap_servers: `127.0.0.1:${saslPort}`, tls: { ca_file: caFile }, sasl: { mechanism: 'scram-sha-512', username: 'carol', password: 'wrong' } });
  });
});
