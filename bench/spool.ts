// Spool throughput: append then drain 200-byte log lines through the SQLite spool (lz4 and brotli-q1
// batch blobs, one commit per batch) against plain `fs` appends with the same fsync cadence (one fsync per
// batch of batch_max_records lines) read back in 1 MiB chunks, in the same run. Prints a markdown table.
//
//   node --import tsx bench/spool.ts [--mb 200] [--reps 3]
import { closeSync, fsyncSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../core/telemetry/logger.js';
import { Metrics } from '../core/telemetry/metrics.js';
import { Spool } from '../spool/spool.js';
import type { SpoolCompression, SpoolSync } from '../spool/types.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const MB = arg('mb', 200);
const REPS = arg('reps', 3);
const LINE = 200;
const LINES_PER_APPEND = 512; // what an agent batch hands the spool at once
const BATCH_RECORDS = 8192; // spool batch_max_records (default) = fsync cadence of the baseline
const IN_FLIGHT = arg('inflight', 32);
const DRAIN_BATCHES = arg('drain', 8); // batches per read + ack transaction

/** CRI-style lines with varying timestamps, levels, ids and numbers (compresses like real logs). */
function makeChunks(totalBytes: number): Buffer[] {
  const levels = ['INFO', 'WARN', 'DEBUG', 'ERROR'];
  const paths = ['/api/v1/orders', '/api/v1/users', '/healthz', '/api/v2/cart', '/metrics'];
  const chunks: Buffer[] = [];
  let n = 0;
  const total = Math.floor(totalBytes / LINE);
  let t = Date.parse('2026-11-24T10:00:00Z');
  while (n < total) {
    const lines: string[] = [];
    for (let i = 0; i < LINES_PER_APPEND && n < total; i++, n++) {
      t += Math.floor(Math.random() * 7);
      const ts = new Date(t).toISOString();
      let s = `${ts} stdout F ${levels[n % 4]} req=${(n * 2654435761) >>> 0} path=${paths[n % 5]} status=${200 + (n % 7) * 50} dur_ms=${(Math.random() * 900).toFixed(2)} user=u${n % 9973} msg="handled request"`;
      s = s.length >= LINE - 1 ? s.slice(0, LINE - 1) : s + ' '.repeat(LINE - 1 - s.length);
      lines.push(s + '\n');
    }
    chunks.push(Buffer.from(lines.join('')));
  }
  return chunks;
}

interface Result {
  appendS: number;
  drainS: number;
  disk?: number;
  batches?: number;
}

async function runSpool(chunks: Buffer[], sync: SpoolSync, compression: SpoolCompression): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'flowlog-bench-spool-'));
  try {
    const spool = Spool.open(
      { dir, sync, compression, batchMaxRecords: BATCH_RECORDS, batchMaxBytes: 64 << 20, batchMaxMs: 200, maxBytes: 8 * 2 ** 30, minFreeBytes: 0, reserveBytes: 0 },
      { log: memoryLogger(), metrics: new Metrics() },
    );
    const t0 = performance.now();
    const inflight = new Set<Promise<void>>();
    let pos = 0;
    for (const c of chunks) {
      const p = spool.append([{ group: 'default', payload: c, count: c.length / LINE }], [{ source: 'bench', key: 'pos', value: String((pos += c.length)) }]);
      inflight.add(p);
      void p.then(() => inflight.delete(p));
      if (inflight.size >= IN_FLIGHT) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    const t1 = performance.now();
    const { diskBytes: disk, batches: nBatches } = spool.stats();
    let bytes = 0;
    for (let after = 0; ; ) {
      const batches = await spool.readAsync('default', DRAIN_BATCHES, after);
      if (!batches.length) break;
      for (const b of batches) for (const e of b.entries) bytes += e.payload.length;
      after = batches[batches.length - 1]!.id;
      spool.ack('default', batches.map((b) => b.id));
    }
    const t2 = performance.now();
    await spool.close();
    if (bytes !== chunks.reduce((n, c) => n + c.length, 0)) throw new Error(`drained ${bytes} bytes, appended more`);
    return { appendS: (t1 - t0) / 1000, drainS: (t2 - t1) / 1000, disk, batches: nBatches };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Plain fs: append the same bytes, fsync after every BATCH_RECORDS lines; read back in 1 MiB chunks; delete. */
function runFs(chunks: Buffer[]): Result {
  const dir = mkdtempSync(join(tmpdir(), 'flowlog-bench-fs-'));
  const file = join(dir, 'spool.log');
  try {
    const t0 = performance.now();
    const fd = openSync(file, 'a', 0o600);
    let lines = 0;
    for (const c of chunks) {
      writeSync(fd, c);
      lines += c.length / LINE;
      if (lines >= BATCH_RECORDS) {
        fsyncSync(fd);
        lines = 0;
      }
    }
    fsyncSync(fd);
    closeSync(fd);
    const t1 = performance.now();
    const rfd = openSync(file, 'r');
    const buf = Buffer.allocUnsafe(1 << 20);
    let bytes = 0;
    for (let n; (n = readSync(rfd, buf, 0, buf.length, null)) > 0; ) bytes += n;
    closeSync(rfd);
    unlinkSync(file);
    const t2 = performance.now();
    if (bytes !== chunks.reduce((n, c) => n + c.length, 0)) throw new Error('fs baseline read back a different size');
    return { appendS: (t1 - t0) / 1000, drainS: (t2 - t1) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const chunks = makeChunks(MB * 1e6);
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const mb = total / 1e6;
  const designs: [SpoolSync, SpoolCompression][] = [['full', 'lz4'], ['normal', 'lz4'], ['full', 'brotli'], ['normal', 'brotli']];
  const res: Record<string, Result[]> = { fs: [] };
  for (let r = 0; r < REPS; r++) {
    res.fs!.push(runFs(chunks));
    for (const [sync, codec] of designs) (res[`${sync}-${codec}`] ??= []).push(await runSpool(chunks, sync, codec));
    process.stderr.write(`rep ${r + 1}/${REPS} done\n`);
  }
  const row = (name: string, rs: Result[], base?: Result[]) => {
    const a = median(rs.map((x) => mb / x.appendS));
    const d = median(rs.map((x) => mb / x.drainS));
    const both = median(rs.map((x) => mb / (x.appendS + x.drainS)));
    const baseBoth = base ? median(base.map((x) => mb / (x.appendS + x.drainS))) : both;
    const disk = rs[0]!.disk ? (rs[0]!.disk / total).toFixed(2) : '1.00';
    const perBatch = rs[0]!.batches ? Math.round(total / LINE / rs[0]!.batches) : BATCH_RECORDS;
    return `| ${name} | ${a.toFixed(0)} | ${d.toFixed(0)} | ${both.toFixed(0)} | ${(both / baseBoth).toFixed(2)}x | ${disk} | ${perBatch} |`;
  };
  const out = [
    `${mb.toFixed(0)} MB of ${LINE}-byte lines (${Math.floor(total / LINE)} lines), appends of ${LINES_PER_APPEND} lines, ${IN_FLIGHT} in flight, ` +
      `batches/fsync every ${BATCH_RECORDS} lines; median of ${REPS}; Node ${process.version}`,
    '',
    '| design | append MB/s | drain MB/s | append+drain MB/s | vs fs | disk / raw | lines per commit |',
    '|---|---|---|---|---|---|---|',
    row('plain fs append + fsync, read back', res.fs!),
    ...designs.map(([sync, codec]) =>
      row(`spool sync=${sync}, compression=${codec}${codec === 'lz4' ? ' (default)' : ' (q1)'}`, res[`${sync}-${codec}`]!, res.fs),
    ),
  ];
  process.stdout.write(out.join('\n') + '\n');
}

await main();
