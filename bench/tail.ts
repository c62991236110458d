// Tail + parse throughput of the file and kubernetes_logs sources against `cat FILE > /dev/null`
// on the same file in the same run (page cache warm), printed as a markdown table with ratios.
// Usage: node --import tsx bench/tail.ts [MiB]   (default 256 MiB of ~200-byte CRI lines)
import { spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, openSync, closeSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { Channel } from '../core/channel.js';
import type { EventBatch, Source } from '../core/component.js';
import { LineSplitter } from '../core/lines.js';
import { createLogger } from '../core/telemetry/logger.js';
import { Metrics } from '../core/telemetry/metrics.js';
import { fileConfig } from '../agent/sources/file/config.js';
import { FileSource } from '../agent/sources/file/source.js';
import { kubernetesConfig } from '../agent/sources/kubernetes/config.js';
import { KubernetesLogsSource } from '../agent/sources/kubernetes/source.js';

const MIB = Number(process.argv[2] ?? 256);
const RUNS = 3;

const root = mkdtempSync(join(tmpdir(), 'flowlog-bench-tail-'));
const dir = join(root, 'pods', 'shop_web-7d4b9c-x2k_0f1e2d3c-aaaa-bbbb-cccc-1234567890ab', 'nginx');
mkdirSync(dir, { recursive: true });
const file = join(dir, '0.log');

function generate(): number {
  const fd = openSync(file, 'w');
  const target = MIB * 1024 * 1024;
  let written = 0;
  let lines = 0;
  const base = Date.parse('2026-11-24T10:00:00Z');
  while (written < target) {
    let s = '';
    for (let i = 0; i < 5000; i++, lines++) {
      const ts = new Date(base + lines).toISOString().slice(0, 23) + '456789Z';
      const stream = lines % 10 === 0 ? 'stderr' : 'stdout';
      s += `${ts} ${stream} F 10.0.${lines % 256}.7 - - "GET /api/v1/items/${lines} HTTP/1.1" 200 ${lines % 9999} "-" "curl/8.5.0" rt=0.0${lines % 100} upstream=10.1.2.3:8080 req=${lines}\n`;
    }
    writeSync(fd, s);
    written += Buffer.byteLength(s);
  }
  closeSync(fd);
  return lines;
}

function timeCat(): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', `cat '${file}' > /dev/null`]);
  if (r.status !== 0) throw new Error('cat failed');
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function timeSplit(): number {
  const t0 = process.hrtime.bigint();
  const fd = openSync(file, 'r');
  const split = new LineSplitter();
  let n = 0;
  for (;;) {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    const got = readSync(fd, buf, 0, buf.length, null);
    if (got === 0) break;
    n += split.push(got === buf.length ? buf : buf.subarray(0, got)).length;
  }
  closeSync(fd);
  if (n === 0) throw new Error('no lines');
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function timeSource(src: Source, lines: number): Promise<number> {
  const ch = new Channel<EventBatch>({ capacity: 16 });
  const ac = new AbortController();
  const t0 = process.hrtime.bigint();
  const done = src.run({ name: 'bench', signal: ac.signal, log: createLogger({ level: 'error' }), metrics: new Metrics(), dataDir: root, out: ch, checkpoints: new Map() });
  let n = 0;
  for await (const b of ch) {
    n += b.events.length;
    if (n >= lines) break;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  ac.abort();
  await done;
  return secs;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  process.stderr.write(`generating ${MIB} MiB of CRI lines...\n`);
  const lines = generate();
  const bytes = statSync(file).size;
  timeCat(); // warm the page cache
  // a second pods root: the same big file plus 500 idle containers (one line each)
  const crowded = join(root, 'crowded');
  const bigDir = join(crowded, 'shop_web-7d4b9c-x2k_0f1e2d3c-aaaa-bbbb-cccc-1234567890ab', 'nginx');
  mkdirSync(bigDir, { recursive: true });
  linkSync(file, join(bigDir, '0.log'));
  for (let i = 0; i < 500; i++) {
    const d = join(crowded, `idle_pod-${i}_uid-${i}`, 'app');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, '0.log'), '2026-11-24T10:00:00.000000001Z stdout F idle\n');
  }
  const all: [string, () => Promise<number> | number][] = [
    ['`cat FILE > /dev/null` (baseline)', timeCat],
    ['read 1 MiB chunks + LineSplitter (no events)', timeSplit],
    ['file source (plain lines → events)', () => timeSource(new FileSource(fileConfig.parse({ include: [file] })), lines)],
    ['kubernetes_logs source (CRI parse + path metadata)', () => timeSource(new KubernetesLogsSource(kubernetesConfig.parse({ pods_root: join(root, 'pods'), docker_root: '' })), lines)],
    ['kubernetes_logs, same file + 500 idle containers', () => timeSource(new KubernetesLogsSource(kubernetesConfig.parse({ pods_root: crowded, docker_root: '' })), lines + 500)],
  ];
  // BENCH_ONLY=<substring> runs the baseline plus the matching cases (profiling)
  const only = process.env.BENCH_ONLY;
  const cases = only ? all.filter(([n], i) => i === 0 || n.includes(only)) : all;
  const rows: [string, number][] = [];
  for (const [name, fn] of cases) {
    const secs: number[] = [];
    for (let i = 0; i < RUNS; i++) secs.push(await fn());
    process.stderr.write(`${name}: ${secs.map((s) => s.toFixed(3)).join(' ')} s\n`);
    rows.push([name, bytes / 1e6 / median(secs)]);
  }
  const cat = rows[0]![1];
  console.log(`\nTail throughput: ${(bytes / 1e6).toFixed(0)} MB, ${lines} lines of ~${Math.round(bytes / lines)} B, page cache warm, median of ${RUNS} runs, Node ${process.version}, ${cpus().length} CPUs\n`);
  console.log('| case | MB/s | lines/s | ratio to cat |');
  console.log('|---|---:|---:|---:|');
  for (const [name, mbs] of rows) console.log(`| ${name} | ${mbs.toFixed(0)} | ${((mbs * 1e6) / (bytes / lines) / 1e6).toFixed(2)} M | ${(mbs / cat).toFixed(3)} |`);
}

try {
  await main();
} finally {
  rmSync(root, { recursive: true, force: true });
}
