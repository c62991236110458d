// Kafka → archive throughput against `kcat -C` reading the same topic in the same run, archive size
// against the raw NDJSON, and a time + attribute query over the archive. Standalone:
//   node --import tsx bench/aggregator.ts [events]
// Starts its own Kafka broker; installs kcat (Debian) when missing. Prints a markdown table.
// The topic is filled with `kcat -P` from a file of agent-framed messages (64 NDJSON events each):
// producing is not what is measured, and kafkajs would take minutes for the default ~1 GB.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { encodeEvent } from '../core/codec.js';
import { startBroker } from '../test/kafka/broker.js';
import { Catalog } from '../aggregator/sinks/archive/catalog.js';
import { localFiles, queryArchive } from '../aggregator/sinks/archive/query.js';
import { makeEvent } from '../test/aggregator/helpers.js';

const N = Number(process.argv[2] ?? 3_400_000);
const PER_MESSAGE = 64;
const BASE = Date.UTC(2026, 10, 24, 0);
const root = join(import.meta.dirname, '..');

function ensureKcat(): string {
  if (spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0) return 'kcat';
  process.stderr.write('bench: installing kcat (apt-get)...\n');
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  spawnSync(sudo[0] ?? 'apt-get', [...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-qq', 'kcat'], { stdio: 'inherit' });
  if (spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status !== 0) throw new Error('kcat is not available (apt-get install kcat failed)');
  return 'kcat';
}

const kcat = ensureKcat();
const broker = await startBroker({ heap: '1g' });
const dir = mkdtempSync(join(tmpdir(), 'flowlog-bench-agg-'));
try {
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const topic = 'bench-archive';
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
  await admin.disconnect();
  // events spread over 6 hours (so the archive has 6 × 5 partitions), 64 NDJSON events per message,
  // messages alternating between the two partitions; one file per partition, messages separated by \x1e
  const spacing = (6 * 3600_000) / N;
  let rawBytes = 0;
  const msgFiles = [0, 1].map((p) => join(dir, `messages-${p}.bin`));
  const fds = msgFiles.map((f) => openSync(f, 'w'));
  const count = [0, 0];
  for (let s = 0; s < N; s += PER_MESSAGE) {
    let v = '';
    for (let k = s; k < Math.min(N, s + PER_MESSAGE); k++) {
      const e = makeEvent(k, BASE);
      e.timeMs = BASE + Math.floor(k * spacing);
      v += encodeEvent(e) + '\n';
    }
    const p = (s / PER_MESSAGE) % 2;
    rawBytes += Buffer.byteLength(v);
    writeSync(fds[p]!, count[p]!++ ? '\x1e' + v : v);
  }
  fds.forEach((fd) => closeSync(fd));
  for (const p of [0, 1]) {
    const r = spawnSync(kcat, ['-P', '-b', broker.bootstrap, '-t', topic, '-p', String(p), '-D', '\\x1e', '-X', 'acks=all', '-l', msgFiles[p]!], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`kcat -P failed: ${r.stderr}`);
    rmSync(msgFiles[p]!);
  }

  // baseline: kcat reads every message value of the topic to /dev/null
  let t0 = performance.now();
  const k = spawnSync(kcat, ['-C', '-b', broker.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s'], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  const kcatS = (performance.now() - t0) / 1000;
  if (k.status !== 0) throw new Error(`kcat failed: ${k.stderr}`);

  // flowlog aggregator (child process, the real CLI) until the catalog holds every record
  const config = join(dir, 'aggregator.yaml');
  writeFileSync(
    config,
    `sources:
  in:
    type: kafka
    bootstrap_servers: ${broker.bootstrap}
    group_id: bench
    topics: [${topic}]
sinks:
  cold:
    type: archive
    inputs: [in]
    path: ./archive
    partition_by: [{attribute: service.name, key: service}]
    max_file_age_ms: 2000
    max_file_bytes: 100000000
log: {level: info}
api: {address: "127.0.0.1:0"}
`,
  );
  const catPath = join(dir, 'archive', '_flowlog', 'catalog.sqlite');
  const archived = () => {
    try {
      const c = new Catalog(catPath, { readonly: true });
      try {
        return c.totals();
      } finally {
        c.close();
      }
    } catch {
      return { files: 0, records: 0, bytes: 0 };
    }
  };
  t0 = performance.now();
  // FLOWLOG_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the aggregator process
  const nodeArgs = (process.env.FLOWLOG_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(root, 'cli', 'main.ts'), 'aggregator', '-c', config], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let tAssigned = 0;
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    if (!tAssigned && d.includes('partitions assigned')) tAssigned = performance.now();
  });
  const deadline = Date.now() + 600_000;
  while (archived().records < N) {
    if (Date.now() > deadline) throw new Error(`aggregator archived only ${archived().records} of ${N} in 600 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const tEnd = performance.now();
  const aggS = (tEnd - t0) / 1000;
  const steadyS = (tEnd - tAssigned) / 1000;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  const totals = archived();

  // query: one hour, one service, errors only
  const from = BASE + 2 * 3600_000;
  const to = BASE + 3 * 3600_000;
  t0 = performance.now();
  const { files, columns } = localFiles(join(dir, 'archive'), from, to);
  let hits = 0;
  for await (const _ of queryArchive(files, columns, { fromMs: from, toMs: to, where: "service = 'api' AND severity_number >= 17" })) hits++;
  const qS = (performance.now() - t0) / 1000;
  const scannedRaw = rawBytes / 6; // one of six hours
  // full scan of the whole archive with a body filter (no pruning)
  t0 = performance.now();
  const all = localFiles(join(dir, 'archive'), BASE, BASE + 6 * 3600_000);
  let bodyHits = 0;
  for await (const _ of queryArchive(all.files, all.columns, { fromMs: BASE, toMs: BASE + 6 * 3600_000, where: "body LIKE '%status=500%' AND host_name = 'node-3'" })) bodyHits++;
  const fullS = (performance.now() - t0) / 1000;

  const mb = (b: number) => b / 1e6;
  const rows = [
    ['events', String(N), `${PER_MESSAGE} NDJSON events per Kafka message, 2 partitions`],
    ['raw NDJSON', `${mb(rawBytes).toFixed(1)} MB`, ''],
    ['kcat -C (baseline)', `${(mb(rawBytes) / kcatS).toFixed(1)} MB/s`, `${kcatS.toFixed(2)} s`],
    ['flowlog aggregator → archive', `${(mb(rawBytes) / aggS).toFixed(1)} MB/s`, `${aggS.toFixed(2)} s incl. process start and the last age-based flush; ${Math.round(N / aggS)} events/s`],
    ['flowlog, from group join', `${(mb(rawBytes) / steadyS).toFixed(1)} MB/s`, `${steadyS.toFixed(2)} s from "partitions assigned" to the last record catalogued (includes the final ${2} s age-based flush)`],
    ['aggregator / kcat', `${(kcatS / aggS).toFixed(2)}x (${(kcatS / steadyS).toFixed(2)}x from group join)`, 'target >= 0.5x'],
    ['archive bytes / raw bytes', `${((100 * totals.bytes) / rawBytes).toFixed(1)} %`, `${totals.files} files, ${mb(totals.bytes).toFixed(1)} MB, zstd-3; target <= 15 %`],
    ['query: 1 h × service=api × ERROR', `${qS.toFixed(2)} s`, `${hits} records; ${files.length} files after pruning; ${(mb(scannedRaw) / qS).toFixed(0)} MB/s of raw logs covered`],
    ['query: full scan, body LIKE + host', `${fullS.toFixed(2)} s`, `${bodyHits} records; ${all.files.length} files; ${(mb(rawBytes) / fullS).toFixed(0)} MB/s of raw logs`],
  ];
  process.stdout.write(`\n| measure | value | notes |\n|---|---|---|\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}\n`);
} finally {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
