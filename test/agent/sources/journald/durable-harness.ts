// Child process for the kill -9 resume test: runs the journald source into a durable store that
// writes the batch's events and its checkpoint in ONE better-sqlite3 transaction, the way the spool
// does, and reads its checkpoints back from there on start. Usage: durable-harness.ts DB JOURNAL_DIR
// Stops cleanly on SIGTERM.
import Database from 'better-sqlite3';
import { Channel } from '../../../../core/channel.js';
import type { EventBatch, SourceContext } from '../../../../core/component.js';
import { createLogger } from '../../../../core/telemetry/logger.js';
import { Metrics } from '../../../../core/telemetry/metrics.js';
import { journaldConfig } from '../../../../agent/sources/journald/config.js';
import { JournaldSource } from '../../../../agent/sources/journald/source.js';

const [dbPath, dir] = process.argv.slice(2) as [string, string];
const db = new Database(dbPath);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, cursor TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS checkpoints (source TEXT, key TEXT, value TEXT, PRIMARY KEY (source, key))`);
const insertEvent = db.prepare('INSERT INTO events (seq, cursor) VALUES (?, ?)');
const upsertCheckpoint = db.prepare('INSERT INTO checkpoints (source, key, value) VALUES (?, ?, ?) ON CONFLICT (source, key) DO UPDATE SET value = excluded.value');
const commit = db.transaction((b: EventBatch) => {
  for (const e of b.events) insertEvent.run(Number(e.attributes['journald.seq']), String(e.attributes['journald.cursor']));
  for (const c of b.checkpoints ?? []) upsertCheckpoint.run(c.source, c.key, c.value);
});
const stored = new Map<string, string>();
for (const row of db.prepare('SELECT key, value FROM checkpoints WHERE source = ?').all('jd') as { key: string; value: string }[]) {
  stored.set(row.key, row.value);
}

const ch = new Channel<EventBatch>({ capacity: 4 });
const ac = new AbortController();
process.on('SIGTERM', () => ac.abort());
const ctx: SourceContext = {
  name: 'jd',
  signal: ac.signal,
  log: createLogger({ level: 'warn', format: 'json' }),
  metrics: new Metrics(),
  dataDir: '/nonexistent',
  out: ch,
  checkpoints: stored,
};
const cfg = journaldConfig.parse({ journal_directory: dir, batch_size: 500 });
const sink = (async () => {
  for await (const b of ch) commit(b);
})();
await new JournaldSource(cfg).run(ctx);
ch.close();
await sink;
db.close();
