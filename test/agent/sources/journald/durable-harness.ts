// Child process for the kill -9 resume test: runs the journald source into the real spool, which
// commits each batch's events together with its cursor checkpoint in one SQLite transaction, and
// reads its checkpoints back from the spool on start. Usage: durable-harness.ts SPOOL_DIR JOURNAL_DIR
// Writes `ok <last seq>` on stdout (synchronously) after each append is durable. Stops on SIGTERM.
import { Channel } from '../../../../core/channel.js';
import { encodeNdjson } from '../../../../core/codec.js';
import type { EventBatch, SourceContext } from '../../../../core/component.js';
import { createLogger } from '../../../../core/telemetry/logger.js';
import { Metrics } from '../../../../core/telemetry/metrics.js';
import { Spool } from '../../../../spool/spool.js';
import { journaldConfig } from '../../../../agent/sources/journald/config.js';
import { JournaldSource } from '../../../../agent/sources/journald/source.js';

const [spoolDir, journalDir] = process.argv.slice(2) as [string, string];
const log = createLogger({ level: 'warn', format: 'json' });
const metrics = new Metrics();
// sync 'normal' (WAL): a commit survives the death of the process, which is what this test does to it
const spool = Spool.open({ dir: spoolDir, sync: 'normal', batchMaxMs: 5 }, { log, metrics });

const ch = new Channel<EventBatch>({ capacity: 4 });
const ac = new AbortController();
process.on('SIGTERM', () => ac.abort());
const ctx: SourceContext = {
  name: 'jd',
  signal: ac.signal,
  log,
  metrics,
  dataDir: spoolDir,
  out: ch,
  checkpoints: spool.checkpoints('jd'),
};

const sink = (async () => {
  // appends are pipelined (a few in flight, resolved in order), as the agent does
  const inFlight: Promise<void>[] = [];
  for await (const b of ch) {
    const entries = b.events.length ? [{ group: 'g', payload: Buffer.from(encodeNdjson(b.events)), count: b.events.length }] : [];
    const last = b.events.at(-1)?.attributes['journald.seq'];
    inFlight.push(spool.append(entries, b.checkpoints ?? []).then(() => void (last !== undefined && process.stdout.write(`ok ${last}\n`))));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
})();
await new JournaldSource(journaldConfig.parse({ journal_directory: journalDir, batch_size: 500 })).run(ctx);
ch.close();
await sink;
await spool.close();
