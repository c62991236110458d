import type { Command } from 'commander';
import { describeError } from '../../core/errors.js';
import { createLogger } from '../../core/telemetry/logger.js';
import { checkSpool, drainSpool, locateSpool, salvageSpool, spoolReport, type SpoolReport } from '../../spool/inspect.js';

interface Common {
  dataDir?: string;
  name: string;
  file?: string;
  json?: boolean;
}

function fileOf(o: Common): string {
  if (o.file) return o.file;
  if (!o.dataDir) throw new Error('give --data-dir DIR (the agent data_dir) or --file FILE');
  return locateSpool(o.dataDir, o.name);
}

function fail(e: unknown, json?: boolean): void {
  if (json) process.stdout.write(JSON.stringify({ error: describeError(e) }) + '\n');
  else process.stderr.write(`flowlog spool: ${describeError(e)}\n`);
  process.exitCode = 1;
}

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

function printStats(r: SpoolReport): void {
  const lines = [
    `spool ${r.file}`,
    `  depth:        ${r.batches} batches, ${r.records} records, ${mib(r.bytes)} uncompressed`,
    `  stored:       ${mib(r.storedBytes)} compressed; on disk ${mib(r.diskBytes)} (db + WAL), ${r.freePages} free pages of ${r.pageSize} B`,
    `  oldest:       ${r.oldestAgeSeconds === null ? '-' : `${r.oldestAgeSeconds.toFixed(1)} s ago (${new Date(r.oldestMs!).toISOString()})`}`,
    `  dropped:      ${r.droppedBatches} batches, ${r.droppedRecords} records (when_full: drop_oldest); corrupt batches removed: ${r.corruptBatches}`,
    `  checkpoints:  ${r.checkpoints.length ? '' : '-'}`,
    ...r.checkpoints.map((c) => `    ${c.source} ${c.key} = ${c.value} (${c.ageSeconds.toFixed(1)} s ago)`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

export function registerSpool(program: Command): void {
  const spool = program.command('spool').description('inspect, check, salvage and drain an agent spool (works while the agent is stopped or running)');
  const common = (c: Command) =>
    c
      .option('-d, --data-dir <dir>', 'the agent data_dir (looks for <dir>/<name>.db, then <dir>/spool/<name>.db)')
      .option('--name <name>', 'spool name', 'spool')
      .option('--file <file>', 'a spool database file (e.g. a quarantined <name>.db.corrupt-<timestamp>) instead of --data-dir')
      .option('--json', 'print the result as JSON');

  common(spool.command('stats').description('depth (batches, records, bytes), oldest unsent age, sizes, drops and checkpoints')).action((o: Common) => {
    try {
      const r = spoolReport(fileOf(o));
      if (o.json) process.stdout.write(JSON.stringify(r) + '\n');
      else printStats(r);
    } catch (e) {
      fail(e, o.json);
    }
  });

  common(spool.command('check').description('full integrity check and a decode of every batch; --salvage copies the readable batches into a fresh spool'))
    .option('--salvage <dir>', 'write every readable batch and the checkpoints into a new spool in this (empty) directory')
    .action((o: Common & { salvage?: string }) => {
      try {
        const file = fileOf(o);
        const log = createLogger({ level: 'warn' });
        if (!o.json) process.stderr.write(`checking ${file}...\n`);
        const salvaged = o.salvage ? salvageSpool(file, o.salvage, log, o.name) : undefined;
        const r = salvaged ?? checkSpool(file);
        if (o.json) process.stdout.write(JSON.stringify(r) + '\n');
        else {
          const out = [
            `${file}: ${r.ok ? 'ok' : 'DAMAGED'}`,
            `  readable: ${r.goodBatches} batches, ${r.goodRecords} records`,
            ...(r.badBatches.length ? [`  unreadable: ${r.badBatches.length} (${r.badBatches.slice(0, 5).map((b) => `${b.id ?? '?'}: ${b.why}`).join('; ')})`] : []),
            ...r.problems.slice(0, 20).map((p) => `  problem: ${p}`),
          ];
          if (salvaged) out.push(`  salvaged into ${salvaged.out} (${salvaged.goodBatches} batches, ${salvaged.checkpointsCopied} checkpoints); point the agent's data_dir there or move it into place`);
          else if (!r.ok) out.push('  run again with --salvage <empty dir> to copy the readable batches into a fresh spool');
          process.stdout.write(out.join('\n') + '\n');
        }
        if (!r.ok && !o.salvage) process.exitCode = 2;
      } catch (e) {
        fail(e, o.json);
      }
    });

  common(spool.command('drain').description('write the spooled records to stdout as NDJSON, oldest first (leaves them in place unless --ack)'))
    .option('--ack', 'delete each batch after its records were written (do not run while the agent is running)')
    .action(async (o: Common & { ack?: boolean }) => {
      try {
        const file = fileOf(o);
        process.stdout.on('error', () => undefined); // EPIPE (e.g. `| head`) rejects the pending write below
        const write = (chunk: Buffer) =>
          new Promise<void>((resolve, reject) => {
            process.stdout.write(chunk, (err) => (err ? reject(err) : resolve()));
          });
        const bad: string[] = [];
        const r = await drainSpool(file, write, { ack: !!o.ack, onBad: (id, why) => bad.push(`${id ?? '?'}: ${why}`) });
        const summary = { ...r, acked: !!o.ack, unreadable: bad.length };
        process.stderr.write(o.json ? JSON.stringify(summary) + '\n' : `drained ${r.batches} batches, ${r.records} records${o.ack ? ' (deleted)' : ' (left in place)'}${bad.length ? `; ${bad.length} unreadable` : ''}\n`);
      } catch (e) {
        if ((e as { code?: string }).code === 'EPIPE') {
          process.stderr.write('flowlog spool drain: output closed early; batches not fully written were left in place\n');
          process.exitCode = 1;
        } else fail(e, o.json);
      }
    });
}
