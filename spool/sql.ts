// Every SQL statement the spool runs, as named constants, plus the numbered schema migrations.
// Schema version lives in `PRAGMA user_version`; a migration runs once, in its own transaction.
import type Database from 'better-sqlite3';

/** Pragmas set on every connection that writes (WAL, our own checkpoints, incremental vacuum). */
export const PRAGMAS_WRITER = [
  'PRAGMA journal_mode = WAL',
  'PRAGMA wal_autocheckpoint = 0',
  'PRAGMA foreign_keys = OFF',
  'PRAGMA temp_store = MEMORY',
] as const;

/** auto_vacuum only takes effect on an empty database (before the first table), so it comes first. */
export const PRAGMA_AUTO_VACUUM = 'PRAGMA auto_vacuum = INCREMENTAL';

export const MIGRATIONS: readonly string[] = [
  // 1: batches (one compressed blob per batch), per-consumer acks, source checkpoints, counters
  `CREATE TABLE batches (
     id          INTEGER PRIMARY KEY AUTOINCREMENT,
     created_ms  INTEGER NOT NULL,
     records     INTEGER NOT NULL,
     bytes       INTEGER NOT NULL,
     blob_bytes  INTEGER NOT NULL,
     codec       INTEGER NOT NULL,
     crc32       INTEGER NOT NULL,
     blob        BLOB    NOT NULL
   );
   CREATE TABLE acks (
     consumer  TEXT    NOT NULL,
     batch_id  INTEGER NOT NULL,
     PRIMARY KEY (consumer, batch_id)
   ) WITHOUT ROWID;
   CREATE INDEX acks_by_batch ON acks (batch_id);
   CREATE TABLE checkpoints (
     source      TEXT    NOT NULL,
     key         TEXT    NOT NULL,
     value       TEXT    NOT NULL,
     updated_ms  INTEGER NOT NULL,
     PRIMARY KEY (source, key)
   ) WITHOUT ROWID;
   CREATE TABLE meta (
     key    TEXT PRIMARY KEY,
     value  INTEGER NOT NULL
   ) WITHOUT ROWID;
   INSERT INTO meta (key, value) VALUES ('dropped_batches', 0), ('dropped_records', 0), ('corrupt_batches', 0);`,
];

export const SQL = {
  userVersion: 'PRAGMA user_version',
  setUserVersion: (v: number) => `PRAGMA user_version = ${v | 0}`,
  quickCheck: 'PRAGMA quick_check',
  integrityCheck: 'PRAGMA integrity_check',
  walCheckpointTruncate: 'PRAGMA wal_checkpoint(TRUNCATE)',
  walCheckpointPassive: 'PRAGMA wal_checkpoint(PASSIVE)',
  freelistCount: 'PRAGMA freelist_count',
  pageSize: 'PRAGMA page_size',
  pageCount: 'PRAGMA page_count',
  incrementalVacuum: (pages: number) => `PRAGMA incremental_vacuum(${Math.max(0, pages | 0)})`,
  synchronous: (mode: 'FULL' | 'NORMAL') => `PRAGMA synchronous = ${mode}`,

  insertBatch: `INSERT INTO batches (created_ms, records, bytes, blob_bytes, codec, crc32, blob)
                VALUES (@created_ms, @records, @bytes, @blob_bytes, @codec, @crc32, @blob)`,
  upsertCheckpoint: `INSERT INTO checkpoints (source, key, value, updated_ms) VALUES (?, ?, ?, ?)
                     ON CONFLICT (source, key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms`,
  selectCheckpoints: 'SELECT key, value FROM checkpoints WHERE source = ?',
  selectCheckpointAges: 'SELECT source, max(updated_ms) AS updated_ms FROM checkpoints GROUP BY source',
  selectAllCheckpoints: 'SELECT source, key, value, updated_ms FROM checkpoints ORDER BY source, key',

  /** Unacked batches of one consumer after an id, in id order. */
  selectUnacked: `SELECT id, created_ms, records, bytes, codec, crc32, blob FROM batches b
                  WHERE b.id > ? AND NOT EXISTS (SELECT 1 FROM acks a WHERE a.consumer = ? AND a.batch_id = b.id)
                  ORDER BY b.id LIMIT ?`,
  /** Single consumer: unacked is every batch. */
  selectAfter: `SELECT id, created_ms, records, bytes, codec, crc32, blob FROM batches
                WHERE id > ? ORDER BY id LIMIT ?`,
  /** Whether one consumer has an unacked batch after an id (the multi-consumer form of anyAfter). */
  anyUnacked: `SELECT 1 FROM batches b
               WHERE b.id > ? AND NOT EXISTS (SELECT 1 FROM acks a WHERE a.consumer = ? AND a.batch_id = b.id) LIMIT 1`,
  /** Single consumer: whether any batch is left after an id. */
  anyAfter: 'SELECT 1 FROM batches WHERE id > ? LIMIT 1',
  selectBatchById: 'SELECT id, created_ms, records, bytes, codec, crc32, blob FROM batches WHERE id = ?',
  selectBatchIdsAfter: 'SELECT id FROM batches WHERE id > ? ORDER BY id LIMIT ?',
  selectMaxSeq: `SELECT seq FROM sqlite_sequence WHERE name = 'batches'`,
  insertAck: 'INSERT OR IGNORE INTO acks (consumer, batch_id) SELECT ?, id FROM batches WHERE id = ?',
  countAcks: 'SELECT count(*) AS n FROM acks WHERE batch_id = ? AND consumer IN (SELECT value FROM json_each(?))',
  deleteBatch: 'DELETE FROM batches WHERE id = ? RETURNING records, bytes, blob_bytes',
  deleteAcksOf: 'DELETE FROM acks WHERE batch_id = ?',
  /** Acks of batches that no longer exist (after drops), or of consumers no longer configured. */
  deleteStaleAcks: `DELETE FROM acks WHERE batch_id NOT IN (SELECT id FROM batches)
                    OR consumer NOT IN (SELECT value FROM json_each(?))`,
  /** Batches every configured consumer has acked (after a consumer was removed from the config). */
  selectFullyAcked: `SELECT batch_id FROM acks WHERE consumer IN (SELECT value FROM json_each(?))
                     GROUP BY batch_id HAVING count(*) >= ?`,
  selectOldest: 'SELECT id, records, bytes, blob_bytes, created_ms FROM batches ORDER BY id LIMIT ?',
  selectOldestCreated: 'SELECT created_ms FROM batches ORDER BY id LIMIT 1',
  selectTotals: `SELECT count(*) AS batches, coalesce(sum(records), 0) AS records, coalesce(sum(bytes), 0) AS bytes,
                        coalesce(sum(blob_bytes), 0) AS blob_bytes FROM batches`,
  selectMeta: 'SELECT value FROM meta WHERE key = ?',
  addMeta: 'UPDATE meta SET value = value + ? WHERE key = ?',
  listTables: `SELECT name FROM sqlite_schema WHERE type = 'table'`,
} as const;

/** The spool's prepared statements on one connection. */
export function prepareStatements(db: Database.Database) {
  return {
    insertBatch: db.prepare(SQL.insertBatch),
    upsertCheckpoint: db.prepare(SQL.upsertCheckpoint),
    selectCheckpoints: db.prepare(SQL.selectCheckpoints),
    selectUnacked: db.prepare(SQL.selectUnacked),
    selectAfter: db.prepare(SQL.selectAfter),
    anyUnacked: db.prepare(SQL.anyUnacked).pluck(),
    anyAfter: db.prepare(SQL.anyAfter).pluck(),
    insertAck: db.prepare(SQL.insertAck),
    countAcks: db.prepare(SQL.countAcks).pluck(),
    deleteBatch: db.prepare(SQL.deleteBatch),
    deleteAcksOf: db.prepare(SQL.deleteAcksOf),
    selectOldest: db.prepare(SQL.selectOldest),
    selectOldestCreated: db.prepare(SQL.selectOldestCreated).pluck(),
    selectTotals: db.prepare(SQL.selectTotals),
    selectMeta: db.prepare(SQL.selectMeta).pluck(),
    addMeta: db.prepare(SQL.addMeta),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
