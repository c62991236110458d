// Agent benchmark: the same input file of 200-byte lines shipped to the same Kafka broker (LZ4) by
//   1. flowlog agent: file → WASM filter → SQLite spool (sync full) → Kafka (newline_delimited)
//   2. kcat -P -l (librdkafka, one message per line, no spool) — the raw-client ceiling
//   3. rsyslog imfile → omkafka (librdkafka, one message per line, disk-assisted queue)
// Prints a markdown table: MB/s, lines/s, CPU seconds and peak RSS, and ratios to rsyslog and kcat.
// Run: node --import tsx bench/agent.ts   (BENCH_LINES overrides the line count; BENCH_ONLY=flowlog runs
// the agent alone; FLOWLOG_BENCH_NODE_ARGS passes node flags to it; BENCH_SOURCE_YAML (inline, e.g.
// "batch_size: 4096"), BENCH_SPOOL_YAML (inline, e.g. "compression: none"), BENCH_TRANSFORM_YAML / BENCH_SINK_YAML
// add one line of settings to the filter / the sink, e.g. "time_budget_ms: 0"; needs Java for the broker)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../test/kafka/broker.js';
import { CLI } from '../test/helpers/agent-process.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

// 2M lines (400 MB): a shipper's sustained rate; at 100 MB a fixed ~0.5 s of ramp-up (JIT, read sizes
// growing, the first requests) and of the sink's tail is a third of flowlog's time
const LINES = Number(process.env.BENCH_LINES ?? 2_000_000);
const LINE_BYTES = 200;
const TICK = 100; // clock ticks per second in /proc/<pid>/stat

interface Result {
  name: string;
  seconds: number;
  cpu: number;
  rssMiB: number;
  note: string;
}

/** Installs kcat, rsyslog and rsyslog-kafka with apt-get, only the missing ones. */
function setup(): void {
  const need: string[] = [];
  if (spawnSync('kcat', ['-V'], { stdio: 'ignore' }).error) need.push('kcat');
  if (spawnSync('rsyslogd', ['-v'], { stdio: 'ignore' }).error) need.push('rsyslog');
  if (!['/usr/lib/x86_64-linux-gnu/rsyslog/omkafka.so', '/usr/lib/aarch64-linux-gnu/rsyslog/omkafka.so'].some((p) => exists(p))) need.push('rsyslog-kafka');
  if (need.length === 0) return;
  process.stderr.write(`bench: installing ${need.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...need], { stdio: 'inherit', env });
  if (r.status !== 0) throw new Error(`apt-get install ${need.join(' ')} failed`);
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

function makeInput(file: string): void {
  const out: string[] = [];
  const pad = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(8);
  let chunk = '';
  const ws = [] as string[];
  for (let i = 0; i < LINES; i++) {
    const head = `2026-11-24T17:00:00.${String(i % 1000).padStart(3, '0')}Z INFO app[${i % 97}]: request id=${i} path=/api/v1/items/${i % 1000} status=200 msg=`;
    chunk += head + pad.slice(0, LINE_BYTES - 1 - head.length) + '\n';
    if (chunk.length > 1 << 20) {
      ws.push(chunk);
      chunk = '';
    }
  }
  ws.push(chunk);
  writeFileSync(file, ws.join(''));
  void out;
}

function procCpu(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(parts[11]) + Number(parts[12])) / TICK; // utime, stime
}

function procHwmMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function procRssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Builds dist/ (tsc + the built-in WASM modules) once and returns the built CLI. */
let built = '';
function buildCli(): string {
  if (built) return built;
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('npm run build failed');
  return (built = join(ROOT, 'dist', 'cli', 'main.js'));
}

async function topicCount(admin: kafkajs.Admin, topic: string): Promise<number> {
  try {
    const offs = await admin.fetchTopicOffsets(topic);
    return offs.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
  } catch {
    return 0;
  }
}

async function waitUntil(f: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await f()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}

async function runKcat(broker: RunningBroker, input: string, admin: kafkajs.Admin): Promise<Result> {
  const topic = 'bench-kcat';
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', 'kcat', '-P', '-b', broker.bootstrap, '-t', topic, '-z', 'lz4', '-l', input], { encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`kcat failed: ${r.stderr}`);
  const [u, s, m] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  const n = await topicCount(admin, topic);
  return { name: 'kcat -P -l (librdkafka, no spool)', seconds, cpu: u! + s!, rssMiB: m! / 1024, note: `${n} messages` };
}

async function runRsyslog(broker: RunningBroker, input: string, dir: string, admin: kafkajs.Admin): Promise<Result> {
  const topic = 'bench-rsyslog';
  const work = join(dir, 'rsyslog');
  const watch = join(dir, 'rsyslog-in');
  mkdirSync(work);
  mkdirSync(watch);
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(
    conf,
    `global(workDirectory="${work}" maxMessageSize="8k")
module(load="imfile" mode="inotify")
module(load="omkafka")
template(name="rawmsg" type="string" string="%msg%")
input(type="imfile" File="${watch}/*.log" Tag="app:" Ruleset="tokafka" addMetadata="on" reopenOnTruncate="on")
ruleset(name="tokafka"){ action(type="omkafka" broker=["${broker.bootstrap}"] topic="${topic}" template="rawmsg"
  partitions.auto="on" confParam=["compression.codec=lz4"] resubmitOnFailure="on"
  queue.type="LinkedList" queue.filename="kafkaq" queue.saveOnShutdown="on" action.resumeRetryCount="-1"
  closeTimeout="1000" queue.timeoutShutdown="1000") }
`,
  );
  const check = spawnSync('rsyslogd', ['-N1', '-f', conf], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`rsyslog config check failed: ${check.stderr}`);
  const child = spawn('rsyslogd', ['-n', '-f', conf, '-i', join(dir, 'rsyslog.pid')], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1500));
  const idleRss = procRssMiB(child.pid!);
  const cpu0 = procCpu(child.pid!);
  const t0 = performance.now();
  renameSync(input, join(watch, 'app.log'));
  const ok = await waitUntil(async () => (await topicCount(admin, topic)) >= LINES, 150_000);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = procCpu(child.pid!) - cpu0;
  const rss = procHwmMiB(child.pid!);
  renameSync(join(watch, 'app.log'), input);
  await stopChild(child);
  return { name: 'rsyslog imfile → omkafka', seconds, cpu, rssMiB: rss, note: ok ? `${LINES} messages` : 'TIMED OUT' };
}

async function runFlowlog(broker: RunningBroker, input: string, dir: string): Promise<Result> {
  const watch = join(dir, 'flowlog-in');
  mkdirSync(watch);
  const conf = join(dir, 'flowlog.yaml');
  writeFileSync(
    conf,
    `data_dir: ${join(dir, 'flowlog-data')}
api: { address: "127.0.0.1:0" }
log: { level: info, format: json }
${process.env.BENCH_SPOOL_YAML ? `spool: { ${process.env.BENCH_SPOOL_YAML} }\n` : ''}
sources:
  app: { type: file, include: ["${watch}/*.log"]${process.env.BENCH_SOURCE_YAML ? `, ${process.env.BENCH_SOURCE_YAML}` : ''} }
transforms:
  keep:
    type: filter
    inputs: [app]
    condition: { not: { body_contains: "DROPME" } }
${process.env.BENCH_TRANSFORM_YAML ? `    ${process.env.BENCH_TRANSFORM_YAML}\n` : ''}sinks:
  kafka:
    type: kafka
    inputs: [keep]
    bootstrap_servers: "${broker.bootstrap}"
    topic: bench-flowlog
    compression: lz4
${process.env.BENCH_SINK_BYTES ? `    batch: { max_bytes: ${process.env.BENCH_SINK_BYTES} }\n` : ''}${process.env.BENCH_SINK_YAML ? `    ${process.env.BENCH_SINK_YAML}\n` : ''}`,
  );
  // the built CLI (dist/, `npm run build`), as installed; BENCH_FROM_SOURCES=1 runs the TypeScript through tsx
  // BENCH_CLI=path/to/main.js runs another build (A/B comparisons)
  const cli = process.env.BENCH_FROM_SOURCES ? ['--import', 'tsx', CLI] : [process.env.BENCH_CLI ?? buildCli()];
  const child = spawn(process.execPath, [...(process.env.FLOWLOG_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), ...cli, 'agent', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FLOWLOG_LOG: 'info' } });
  let port = 0;
  let errText = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    errText += d;
    const m = /"api listening","address":"[^"]*:(\d+)"/.exec(errText);
    if (m) port = Number(m[1]);
  });
  if (!(await waitUntil(async () => port > 0, 30_000))) {
    await stopChild(child);
    throw new Error(`flowlog agent did not start: ${errText}`);
  }
  await new Promise((r) => setTimeout(r, 500));
  const events = async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = /^flowlog_sink_events_total\{component="kafka"\} (\d+)/m.exec(text);
    return m ? Number(m[1]) : 0;
  };
  const idleRss = procRssMiB(child.pid!);
  const cpu0 = procCpu(child.pid!);
  const t0 = performance.now();
  renameSync(input, join(watch, 'app.log'));
  let samples = 0;
  const ok = await waitUntil(async () => {
    if (process.env.BENCH_VERBOSE && samples++ % 3 === 1) {
      const t = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      process.stderr.write(t.split('\n').filter((l) => /^(flowlog_channel_queued_events|flowlog_spool_depth_records|flowlog_spool_writer_inflight_bytes|flowlog_sink_events_total|flowlog_component_sent_events_total|process_resident_memory_bytes|flowlog_process_heap_used_bytes|flowlog_process_external_bytes)/.test(l)).join(' | ') + '\n');
    }
    return (await events()) >= LINES;
  }, 150_000);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = procCpu(child.pid!) - cpu0;
  const rss = procHwmMiB(child.pid!);
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const pick = (re: RegExp) => text.split('\n').filter((l) => re.test(l) && !l.startsWith('#')).join('\n');
  if (process.env.BENCH_VERBOSE) process.stderr.write(pick(/^(flowlog_sink_request_seconds_(sum|count)|flowlog_sink_requests_total|flowlog_spool_commit_seconds_(sum|count)|flowlog_transform_seconds_total|flowlog_spool_writer_encode_seconds_total|flowlog_sink_messages_total)/) + '\n');
  renameSync(join(watch, 'app.log'), input);
  await stopChild(child);
  return { name: 'flowlog: file → WASM filter → spool → Kafka', seconds, cpu, rssMiB: rss, note: ok ? `${LINES} events; RSS ${idleRss.toFixed(0)} MiB before the file arrived` : 'TIMED OUT' };
}

async function main(): Promise<void> {
  setup();
  const dir = mkdtempSync(join(tmpdir(), 'flowlog-bench-agent-'));
  const broker = await startBroker({ heap: '1g' });
  const kafka = new kafkajs.Kafka({ clientId: 'bench', brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    await admin.connect();
    for (const t of ['bench-kcat', 'bench-rsyslog', 'bench-flowlog']) await admin.createTopics({ topics: [{ topic: t, numPartitions: 1 }] });
    const input = join(dir, 'input.log');
    makeInput(input);
    const mb = statSync(input).size / 1e6;
    process.stderr.write(`bench: ${LINES} lines, ${mb.toFixed(1)} MB\n`);
    const results: Result[] = [];
    results.push(await runFlowlog(broker, input, dir));
    process.stderr.write(`bench: flowlog ${results[0]!.seconds.toFixed(1)} s, ${(mb / results[0]!.seconds).toFixed(1)} MB/s, ${results[0]!.cpu.toFixed(1)} CPU s, ${results[0]!.rssMiB.toFixed(0)} MiB (${results[0]!.note})\n`);
    // BENCH_ONLY=flowlog: the agent alone, for iterating on it (ratios need the full run)
    if (process.env.BENCH_ONLY === 'flowlog') return;
    results.push(await runKcat(broker, input, admin));
    process.stderr.write(`bench: kcat ${results[1]!.seconds.toFixed(1)} s\n`);
    results.push(await runRsyslog(broker, input, dir, admin));
    const [fl, kc, rs] = results as [Result, Result, Result];
    const rate = (r: Result) => mb / r.seconds;
    const lines = [
      `## Agent: file → Kafka`,
      ``,
      `${LINES.toLocaleString('en-US')} lines of ${LINE_BYTES} bytes (${mb.toFixed(0)} MB), one Kafka 4.3.1 broker on loopback, LZ4, acks=all; ${new Date().toISOString().slice(0, 10)}, 2 shared vCPUs (noisy).`,
      ``,
      `| shipper | MB/s | lines/s | CPU s | peak RSS MiB | note |`,
      `|---|---:|---:|---:|---:|---|`,
      ...results.map((r) => `| ${r.name} | ${rate(r).toFixed(1)} | ${Math.round(LINES / r.seconds).toLocaleString('en-US')} | ${r.cpu.toFixed(1)} | ${r.rssMiB.toFixed(0)} | ${r.note} |`),
      ``,
      `flowlog / rsyslog throughput: **${(rate(fl) / rate(rs)).toFixed(2)}x**; flowlog / kcat: **${(rate(fl) / rate(kc)).toFixed(2)}x**; CPU per MB flowlog ${(fl.cpu / mb).toFixed(3)} s, kcat ${(kc.cpu / mb).toFixed(3)} s, rsyslog ${(rs.cpu / mb).toFixed(3)} s.`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    await admin.disconnect().catch(() => undefined);
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
