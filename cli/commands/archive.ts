// `flowlog archive query` and `flowlog archive replay`: read the cold archive back by time range (and
// a DuckDB SQL filter), from a local directory or S3; print it, or re-send it to a configured sink.
import type { Command } from 'commander';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Channel } from '../../core/channel.js';
import { encodeEvent } from '../../core/codec.js';
import type { EventBatch, Sink } from '../../core/component.js';
import { ConfigError, loadConfigFile } from '../../core/config/load.js';
import { formatRfc3339, parseRfc3339, type LogEvent } from '../../core/event.js';
import { FlowlogError, describeError } from '../../core/errors.js';
import { createLogger } from '../../core/telemetry/logger.js';
import { Metrics } from '../../core/telemetry/metrics.js';
import { Catalog } from '../../aggregator/sinks/archive/catalog.js';
import { defaultColumnMap, localFiles, queryArchive, type QueryFile } from '../../aggregator/sinks/archive/query.js';
import { S3Client } from '../../aggregator/sinks/archive/s3.js';
import { dtHour } from '../../aggregator/sinks/archive/partition.js';
import { registerAll } from '../components.js';

interface CommonOpts {
  dir?: string;
  s3?: string;
  endpoint?: string;
  region: string;
  catalog?: string;
  from: string;
  to: string;
  where?: string;
  limit?: string;
  progress?: boolean;
}

/** RFC 3339, YYYY-MM-DD (UTC midnight), `now`, or relative to now: -15m, -2h, -7d. */
export function parseTime(s: string, now = Date.now()): number {
  if (s === 'now') return now;
  const rel = /^-(\d+)(s|m|h|d)$/.exec(s);
  if (rel) return now - Number(rel[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[rel[2] as 's']!;
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return Date.parse(s + 'T00:00:00Z');
  const t = parseRfc3339(s);
  if (!t) throw new FlowlogError('ARCHIVE_QUERY', `cannot read the time "${s}": use RFC 3339 (2026-11-24T10:00:00Z), YYYY-MM-DD, now, or -15m / -2h / -7d`);
  return t[0];
}

function addCommon(cmd: Command): Command {
  return cmd
    .option('--dir <dir>', 'local archive directory (the archive sink’s path)')
    .option('--s3 <url>', 'S3 archive: s3://bucket/prefix (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)')
    .option('--endpoint <url>', 'S3 endpoint (default: $FLOWLOG_S3_ENDPOINT)')
    .option('--region <region>', 'S3 region', process.env.AWS_REGION ?? 'us-east-1')
    .option('--catalog <file>', 'catalog to prune with (default: <dir>/_flowlog/catalog.sqlite; with --s3 the sink’s local catalog, else S3 keys are pruned by dt/hour)')
    .requiredOption('--from <time>', 'start, inclusive: RFC 3339, YYYY-MM-DD, now, -2h')
    .requiredOption('--to <time>', 'end, exclusive')
    .option('--where <expr>', "DuckDB SQL condition over the columns, e.g. \"severity_number >= 17 AND service_name = 'api'\"")
    .option('--limit <n>', 'stop after n records')
    .option('--progress', 'show the progress bar even when stderr is not a terminal');
}

async function resolveFiles(o: CommonOpts, fromMs: number, toMs: number): Promise<{ files: QueryFile[]; columns: Record<string, string>; cleanup: () => void }> {
  if (!!o.dir === !!o.s3) throw new FlowlogError('ARCHIVE_QUERY', 'give exactly one of --dir DIR or --s3 s3://bucket/prefix');
  if (o.dir) return { ...localFiles(o.dir, fromMs, toMs, o.catalog), cleanup: () => {} };
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(o.s3!);
  const endpoint = o.endpoint ?? process.env.FLOWLOG_S3_ENDPOINT;
  if (!m || !endpoint) throw new FlowlogError('ARCHIVE_QUERY', 'use --s3 s3://bucket/prefix with --endpoint URL (or $FLOWLOG_S3_ENDPOINT)');
  const client = new S3Client({
    bucket: m[1]!,
    endpoint,
    region: o.region,
    prefix: m[2]!.replace(/\/+$/, ''),
    access_key_id: process.env.AWS_ACCESS_KEY_ID ?? '',
    secret_access_key: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    part_size_bytes: 8 * 1024 * 1024,
  });
  let rels: { rel: string; bytes: number }[];
  let columns = defaultColumnMap();
  if (o.catalog) {
    const c = new Catalog(o.catalog, { readonly: true });
    rels = c.filesInRange(fromMs * 1000, toMs * 1000).map((f) => ({ rel: f.path, bytes: f.bytes }));
    const cols = c.meta('columns');
    if (cols) columns = JSON.parse(cols);
    c.close();
  } else {
    // no catalog: list by key and keep the dt/hour partitions that overlap the range
    const base = client.key('');
    const all = await client.list(base);
    const lo = dtHour(fromMs).join('/');
    const hi = dtHour(toMs).join('/');
    rels = all
      .map((o2) => ({ rel: o2.key.slice(base.length), bytes: o2.size }))
      .filter((f) => {
        const mm = /^dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/.*\.parquet$/.exec(f.rel);
        if (!mm) return false;
        const k = `${mm[1]}/${mm[2]}`;
        return k >= lo && k <= hi;
      });
  }
  const tmp = mkdtempSync(join(tmpdir(), 'flowlog-archive-query-'));
  const files: QueryFile[] = [];
  for (const f of rels) {
    const local = join(tmp, f.rel);
    mkdirSync(dirname(local), { recursive: true });
    writeFileSync(local, await client.get(client.key(f.rel)));
    files.push({ local, bytes: f.bytes });
  }
  return { files, columns, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

function progressBar(enabled: boolean) {
  let last = 0;
  return (p: { files: number; totalFiles: number; bytes: number; totalBytes: number; rows: number }) => {
    if (!enabled) return;
    const now = Date.now();
    if (now - last < 100 && p.files < p.totalFiles) return;
    last = now;
    const w = 30;
    const frac = p.totalBytes > 0 ? p.bytes / p.totalBytes : 1;
    const fill = Math.round(frac * w);
    process.stderr.write(
      `\r[${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${p.files}/${p.totalFiles} files ${(p.bytes / 1e6).toFixed(1)}/${(p.totalBytes / 1e6).toFixed(1)} MB ${p.rows} records` +
        (p.files >= p.totalFiles ? '\n' : ''),
    );
  };
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function registerArchive(program: Command): void {
  const archive = program.command('archive').description('read the cold archive: query a time range, or replay it to a sink');

  addCommon(archive.command('query').description('print archived records of a time range (catalog-pruned), as ndjson, a table or csv'))
    .option('--format <format>', 'ndjson | table | csv', 'ndjson')
    .action(async (o: CommonOpts & { format: string }) => {
      try {
        const fromMs = parseTime(o.from);
        const toMs = parseTime(o.to);
        if (!['ndjson', 'table', 'csv'].includes(o.format)) throw new FlowlogError('ARCHIVE_QUERY', `--format must be ndjson, table or csv (got ${o.format})`);
        const limit = o.limit === undefined ? undefined : Number(o.limit);
        if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new FlowlogError('ARCHIVE_QUERY', '--limit must be a positive integer');
        const { files, columns, cleanup } = await resolveFiles(o, fromMs, toMs);
        try {
          const out: string[] = [];
          const flush = () => {
            if (out.length) process.stdout.write(out.join(''));
            out.length = 0;
          };
          if (o.format === 'csv') out.push('time,severity_text,severity_number,body,attributes\n');
          if (o.format === 'table') out.push(`${'TIME'.padEnd(30)} ${'SEVERITY'.padEnd(8)} BODY\n`);
          for await (const r of queryArchive(files, columns, { fromMs, toMs, where: o.where, limit, onProgress: progressBar(!!o.progress || process.stderr.isTTY === true) })) {
            const e = r.event;
            const ts = formatRfc3339(e.timeMs, e.timeNs);
            if (o.format === 'ndjson') out.push(encodeEvent(e) + '\n');
            else if (o.format === 'csv') out.push([ts, e.severityText, String(e.severityNumber), e.body, JSON.stringify(e.attributes)].map(csvCell).join(',') + '\n');
            else out.push(`${ts.padEnd(30)} ${e.severityText.padEnd(8)} ${e.body.replace(/\n/g, '\\n')}\n`);
            if (out.length >= 1000) flush();
          }
          flush();
        } finally {
          cleanup();
        }
      } catch (e) {
        process.stderr.write(`flowlog archive query: ${describeError(e)}\n`);
        process.exitCode = 1;
      }
    });

  addCommon(archive.command('replay').description('re-send archived records of a time range to a sink of an aggregator config (rehydration)'))
    .requiredOption('--to-sink <name>', 'name of a sink in the config (e.g. a kafka sink)')
    .requiredOption('-c, --config <file>', 'aggregator config file that defines the sink')
    .action(async (o: CommonOpts & { toSink: string; config: string }) => {
      registerAll();
      try {
        const fromMs = parseTime(o.from);
        const toMs = parseTime(o.to);
        let cfg;
        try {
          cfg = loadConfigFile(o.config, { role: 'aggregator' });
        } catch (e) {
          throw e instanceof ConfigError ? new FlowlogError('CONFIG_INVALID', e.message) : e;
        }
        const sc = cfg.components.find((c) => c.kind === 'sink' && c.name === o.toSink);
        if (!sc) throw new FlowlogError('ARCHIVE_QUERY', `${o.config} has no sink "${o.toSink}"; sinks: ${cfg.components.filter((c) => c.kind === 'sink').map((c) => c.name).join(', ')}`);
        if (sc.type === 'archive') throw new FlowlogError('ARCHIVE_QUERY', `replaying into an archive sink is not supported; pick a hot-path sink`);
        const log = createLogger({ level: cfg.log.level });
        const sink = sc.def.build(sc.options, { configDir: cfg.dir, dataDir: cfg.dataDir }) as Sink;
        const input = new Channel<EventBatch>({ capacity: 16 });
        const ac = new AbortController();
        const run = sink.run({ name: sc.name, signal: ac.signal, log: log.child({ component: sc.name }), metrics: new Metrics(), dataDir: cfg.dataDir, input });
        let sent = 0;
        let delivered = 0;
        const failures: string[] = [];
        const acks: Promise<void>[] = [];
        const { files, columns, cleanup } = await resolveFiles(o, fromMs, toMs);
        try {
          let batch: LogEvent[] = [];
          const push = async () => {
            if (!batch.length) return;
            const events = batch;
            batch = [];
            sent += events.length;
            acks.push(
              new Promise<void>((resolve) =>
                void input.send({
                  events,
                  ack: (status, err) => {
                    if (status === 'delivered') delivered += events.length;
                    else failures.push(err?.message ?? status);
                    resolve();
                  },
                }),
              ),
            );
          };
          const limit = o.limit === undefined ? undefined : Number(o.limit);
          for await (const r of queryArchive(files, columns, { fromMs, toMs, where: o.where, limit, onProgress: progressBar(!!o.progress || process.stderr.isTTY === true) })) {
            batch.push(r.event);
            if (batch.length >= 1000) await push();
          }
          await push();
          await Promise.all(acks);
          input.close();
          await run;
        } finally {
          cleanup();
          ac.abort();
        }
        process.stderr.write(`replayed ${delivered} of ${sent} records to ${sc.name}${failures.length ? `; failed: ${failures[0]}` : ''}\n`);
        if (delivered !== sent) process.exitCode = 1;
      } catch (e) {
        process.stderr.write(`flowlog archive replay: ${describeError(e)}\n`);
        process.exitCode = 1;
      }
    });
}
