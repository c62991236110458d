// Shared helpers for the aggregator tests: producing sequence-numbered events in either framing, the
// aggregator as a child process, and reading the archive back with an independent Parquet reader
// (hyparquet, pure JS; the archive is written by DuckDB).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Producer } from 'kafkajs';
import { CompressionTypes } from 'kafkajs';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { encodeEvent } from '../../core/codec.js';
import type { LogEvent } from '../../core/event.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVICES = ['api', 'web', 'db', 'auth', 'cache'];

/**
 * The start of the UTC hour `hoursAgo` hours before now. Event times of tests that produce through
 * the broker (whose Kafka timestamps are now) must lie within the archive's max_past_ms (7 days) of
 * now to be filed under their own hour: a fixed date starts failing a week after it was written.
 */
export function hourAgo(hoursAgo: number): number {
  return (Math.floor(Date.now() / 3600_000) - hoursAgo) * 3600_000;
}

/** The archive's `hour=HH` directory of a time. */
export const hourDir = (ms: number): string => `hour=${String(new Date(ms).getUTCHours()).padStart(2, '0')}`;

export function makeEvent(seq: number, baseMs: number): LogEvent {
  const ms = baseMs + seq;
  return {
    timeMs: ms,
    timeNs: seq % 1_000_000,
    observedMs: ms,
    observedNs: 0,
    severityText: seq % 10 === 0 ? 'ERROR' : 'INFO',
    severityNumber: seq % 10 === 0 ? 17 : 9,
    body: `request ${seq} served path=/v1/items/${seq % 977} status=${seq % 10 === 0 ? 500 : 200} trace=${(seq * 2654435761).toString(16)}`,
    attributes: { 'service.name': SERVICES[seq % SERVICES.length]!, 'host.name': `node-${seq % 7}`, seq },
  };
}

/** Produces events [from, to) with `perMessage` events per message (1 = single framing). */
export async function produceSeq(producer: Producer, topic: string, from: number, to: number, perMessage: number, baseMs: number, partitions = 1): Promise<void> {
  const messages: { value: string; partition: number }[] = [];
  let bytes = 0;
  const flush = async () => {
    if (messages.length === 0) return;
    bytes = 0;
    await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: messages.splice(0) });
  };
  for (let s = from; s < to; s += perMessage) {
    let v = '';
    for (let k = s; k < Math.min(to, s + perMessage); k++) v += encodeEvent(makeEvent(k, baseMs)) + (perMessage > 1 ? '\n' : '');
    messages.push({ value: v, partition: Math.floor(s / perMessage) % partitions });
    bytes += v.length;
    if (messages.length >= 1000 || bytes >= 256 * 1024 * partitions) await flush();
  }
  await flush();
}

export function writeConfig(dir: string, yaml: string): string {
  mkdirSync(dir, { recursive: true });
  const f = join(dir, 'aggregator.yaml');
  // several aggregators run at once in the tests: each API on a free port unless the test sets one
  writeFileSync(f, /^api:/m.test(yaml) ? yaml : `api: { address: "127.0.0.1:0" }\n${yaml}`);
  return f;
}

export function spawnAggregator(config: string, logFile?: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cli', 'main.ts'), 'aggregator', '-c', config], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', logFile ? 'pipe' : 'ignore'],
    env: { ...process.env, FLOWLOG_LOG: 'info' },
  });
  if (logFile && child.stderr) {
    const chunks: Buffer[] = [];
    child.stderr.on('data', (c: Buffer) => {
      chunks.push(c);
      writeFileSync(logFile, Buffer.concat(chunks));
    });
  }
  return child;
}

export function waitExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

export function parquetFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('_') || e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.parquet')) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

/** Every row of every published file, read with hyparquet (independent of DuckDB). */
export async function readArchive(dir: string, columns?: string[]): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const f of parquetFiles(dir)) {
    const buf = readFileSync(f);
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const r = await parquetReadObjects({ file, columns, compressors });
    for (const row of r) rows.push({ ...row, _file: f });
  }
  return rows;
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
