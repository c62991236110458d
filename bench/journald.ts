// journald source throughput against `journalctl -o export > /dev/null` on the same journal in the
// same run, plus the export-vs-json measurement that chose the export format. Prints markdown tables.
// Usage: node --import tsx bench/journald.ts [ENTRIES]   (default 100000 entries of a typical service)
// Needs journalctl and systemd-journal-remote (scripts/install-system-deps.sh).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Channel } from '../core/channel.js';
import type { EventBatch, SourceContext } from '../core/component.js';
import { createLogger } from '../core/telemetry/logger.js';
import { Metrics } from '../core/telemetry/metrics.js';
import { journaldConfig } from '../agent/sources/journald/config.js';
import { ExportParser } from '../agent/sources/journald/export-parser.js';
import { JsonParser } from '../agent/sources/journald/json-parser.js';
import { EntryBuilder } from '../agent/sources/journald/mapping.js';
import { JournaldSource } from '../agent/sources/journald/source.js';
import { stdoutBufferEnv } from '../agent/sources/journald/process.js';

const N = Number(process.argv[2] ?? 100_000);
const RUNS = 3;
const remote = ['/lib/systemd/systemd-journal-remote', '/usr/lib/systemd/systemd-journal-remote'].find((p) => existsSync(p));
if (!remote) {
  console.error('bench/journald: systemd-journal-remote is missing (bash scripts/install-system-deps.sh)');
  process.exit(2);
}
const root = mkdtempSync(join(tmpdir(), 'flowlog-bench-journald-'));
const dir = join(root, 'journal');
mkdirSync(dir);

async function generate(): Promise<void> {
  const child = spawn(remote!, [`--output=${join(dir, 'bench.journal')}`, '-'], { stdio: ['pipe', 'ignore', 'ignore'] });
  const done = new Promise((r) => child.on('close', r));
  const base = 1_764_000_000_000_000;
  for (let i = 0; i < N; ) {
    let s = '';
    for (let k = 0; k < 2000 && i < N; k++, i++) {
      s +=
        `__REALTIME_TIMESTAMP=${base + i * 137}\n__MONOTONIC_TIMESTAMP=${1_000_000 + i * 137}\n_BOOT_ID=0123456789abcdef0123456789abcdef\n` +
        `_MACHINE_ID=fedcba9876543210fedcba9876543210\n_HOSTNAME=node-1\n_TRANSPORT=journal\n_PID=${1000 + (i % 50)}\n_UID=0\n_GID=0\n` +
        `_COMM=shop-api\n_EXE=/usr/bin/shop-api\n_CMDLINE=/usr/bin/shop-api --serve\n_SYSTEMD_UNIT=shop-api.service\n` +
        `_SYSTEMD_CGROUP=/system.slice/shop-api.service\n_SYSTEMD_SLICE=system.slice\nSYSLOG_IDENTIFIER=shop-api\nPRIORITY=${i % 8}\n` +
        `MESSAGE=request handled method=GET path=/api/v1/items/${i} status=200 duration_ms=${i % 97} user=u${i % 1000}\n\n`;
    }
    if (!child.stdin.write(s)) await new Promise((r) => child.stdin.once('drain', r));
  }
  child.stdin.end();
  await done;
}

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

function timeJournalctl(format: 'export' | 'json'): number {
  const t0 = process.hrtime.bigint();
  const extra = format === 'json' ? ' --all' : '';
  const r = spawnSync('sh', ['-c', `journalctl --directory='${dir}' -o ${format}${extra} --no-pager > /dev/null`]);
  if (r.status !== 0) throw new Error(`journalctl failed: ${r.stderr}`);
  return seconds(t0);
}

function outputOf(format: 'export' | 'json'): Buffer {
  const args = [`--directory=${dir}`, '-o', format, '--no-pager', ...(format === 'json' ? ['--all'] : [])];
  return spawnSync('journalctl', args, { maxBuffer: 1 << 30 }).stdout;
}

/** In-process parse + map of captured output, in 64 KiB chunks as a pipe delivers it. */
function timeParse(format: 'export' | 'json', buf: Buffer): number {
  let n = 0;
  const b = new EntryBuilder({ source: 'bench', lowercaseFields: true, stripUnderscores: true }, () => n++);
  const p = format === 'export' ? new ExportParser(b) : new JsonParser(b);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < buf.length; i += 65536) p.push(buf.subarray(i, i + 65536));
  const s = seconds(t0);
  if (n !== N) throw new Error(`parsed ${n} of ${N} entries`);
  return s;
}

/** journalctl piped into parser + mapping (both processes, journalctl's stdout buffered as the source's), without the source's batching. */
async function timePiped(format: 'export' | 'json'): Promise<number> {
  let n = 0;
  const b = new EntryBuilder({ source: 'bench', lowercaseFields: true, stripUnderscores: true }, () => n++);
  const p = format === 'export' ? new ExportParser(b) : new JsonParser(b);
  const t0 = process.hrtime.bigint();
  const args = [`--directory=${dir}`, '-o', format, '--no-pager', ...(format === 'json' ? ['--all'] : [])];
  const child = spawn('journalctl', args, { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, ...stdoutBufferEnv('journalctl') } });
  for await (const chunk of child.stdout) p.push(chunk as Buffer);
  const s = seconds(t0);
  if (n !== N) throw new Error(`piped ${n} of ${N} entries`);
  return s;
}

/** The whole source (its journalctl child: a catch-up pass, then --follow; parse, map, batches into a bounded channel). */
async function timeSource(): Promise<number> {
  const ch = new Channel<EventBatch>({ capacity: 16 });
  const ac = new AbortController();
  const ctx: SourceContext = {
    name: 'bench',
    signal: ac.signal,
    log: createLogger({ level: 'error' }),
    metrics: new Metrics(),
    dataDir: root,
    out: ch,
    checkpoints: new Map(),
  };
  const t0 = process.hrtime.bigint();
  const running = new JournaldSource(journaldConfig.parse({ journal_directory: dir })).run(ctx);
  let n = 0;
  let s = 0;
  for await (const b of ch) {
    n += b.events.length;
    if (n >= N) {
      s = seconds(t0);
      ac.abort();
      break;
    }
  }
  ch.close();
  await running;
  return s;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const tg = process.hrtime.bigint();
  await generate();
  console.error(`bench/journald: ${N} entries written in ${seconds(tg).toFixed(1)} s`);
  const exportBuf = outputOf('export');
  const jsonBuf = outputOf('json');
  const mb = exportBuf.length / 1e6;
  const rows: [string, number][] = [];
  const base: number[] = [];
  const source: number[] = [];
  const pipedExport: number[] = [];
  const jctlJson: number[] = [];
  const parseExport: number[] = [];
  const parseJson: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    base.push(timeJournalctl('export'));
    source.push(await timeSource());
    pipedExport.push(await timePiped('export'));
    parseExport.push(timeParse('export', exportBuf));
  }
  // the JSON path is several times slower; once is enough to show it (and keeps the bench < 3 min)
  jctlJson.push(timeJournalctl('json'));
  parseJson.push(timeParse('json', jsonBuf));
  const b = median(base);
  rows.push(['`journalctl -o export > /dev/null` (baseline)', b]);
  rows.push(['journald source (journalctl catch-up pass, then --follow → parse → map → batches)', median(source)]);
  rows.push(['journalctl -o export piped into ExportParser + mapping', median(pipedExport)]);
  rows.push(['`journalctl -o json --all > /dev/null` (1 run)', median(jctlJson)]);
  console.log(`\n### journald source: ${N} entries, ${mb.toFixed(1)} MB of export output, ${cpus().length} CPUs, node ${process.version}, median of ${RUNS}\n`);
  console.log('| path | seconds | entries/s | MB/s (export bytes) | vs baseline |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [name, s] of rows) {
    console.log(`| ${name} | ${s.toFixed(3)} | ${Math.round(N / s).toLocaleString('en-US')} | ${(mb / s).toFixed(1)} | ${(b / s).toFixed(2)}x |`);
  }
  console.log('\n| in-process parse + map only (captured output, 64 KiB chunks) | seconds | entries/s | input MB/s |');
  console.log('| --- | ---: | ---: | ---: |');
  console.log(`| export (${mb.toFixed(1)} MB) | ${median(parseExport).toFixed(3)} | ${Math.round(N / median(parseExport)).toLocaleString('en-US')} | ${(mb / median(parseExport)).toFixed(1)} |`);
  const jmb = jsonBuf.length / 1e6;
  console.log(`| json (${jmb.toFixed(1)} MB, 1 run) | ${median(parseJson).toFixed(3)} | ${Math.round(N / median(parseJson)).toLocaleString('en-US')} | ${(jmb / median(parseJson)).toFixed(1)} |`);
}

try {
  await main();
} finally {
  rmSync(root, { recursive: true, force: true });
}
