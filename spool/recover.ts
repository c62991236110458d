// Opening a spool file safely: directory and file modes, pragmas, schema migrations, and a quick
// integrity check. A corrupt or unreadable file is moved aside (`<file>.corrupt-<timestamp>`, its WAL
// beside it as `...-wal`) and a fresh spool starts, so the agent never crash-loops on a bad file.
// Problems that are not the file's fault (read-only directory, permissions, a newer schema) throw
// SPOOL_IO without touching anything.
import Database from 'better-sqlite3';
import { accessSync, chmodSync, closeSync, constants as fsc, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { FlowlogError, describeError } from '../core/errors.js';
import type { Logger } from '../core/telemetry/logger.js';
import { MIGRATIONS, PRAGMA_AUTO_VACUUM, PRAGMAS_WRITER, SQL } from './sql.js';
import type { SpoolSync } from './types.js';

export type Db = Database.Database;

export const SIDE_FILES = ['-wal', '-shm'] as const;

const CORRUPTION_CODES = /^SQLITE_(CORRUPT|NOTADB|IOERR_SHORT_READ|FORMAT)/;

export class CorruptSpoolError extends Error {}

function isCorruption(e: unknown): boolean {
  if (e instanceof CorruptSpoolError) return true;
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && CORRUPTION_CODES.test(code);
}

/** Creates the directory 0700 (when missing) and checks it is writable. */
export function ensureDir(dir: string): void {
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, fsc.W_OK | fsc.X_OK);
  } catch (e) {
    throw new FlowlogError('SPOOL_IO', `spool directory ${dir} is not writable (${(e as Error).message}); fix its permissions or set data_dir`, {
      cause: e,
      details: { dir },
    });
  }
}

/** Creates the database file 0600 (SQLite gives its -wal/-shm files the database file's mode) and tightens existing modes. */
function prepareFiles(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, 'wx', 0o600));
  for (const f of [file, ...SIDE_FILES.map((s) => file + s)]) {
    try {
      if ((statSync(f).mode & 0o777) !== 0o600) chmodSync(f, 0o600);
    } catch {
      /* side file absent */
    }
  }
}

function stamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace('.', '');
}

/** Moves a bad spool file (and its WAL) aside; returns the new path of the database file. */
export function quarantine(file: string): string {
  let target = `${file}.corrupt-${stamp()}`;
  for (let i = 1; existsSync(target); i++) target = `${file}.corrupt-${stamp()}-${i}`;
  renameSync(file, target);
  if (existsSync(file + '-wal')) renameSync(file + '-wal', target + '-wal');
  rmSync(file + '-shm', { force: true });
  return target;
}

function migrate(db: Db): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new FlowlogError('SPOOL_IO', `spool schema version ${version} is newer than this flowlog understands (${MIGRATIONS.length}); upgrade flowlog or move the file away`);
  }
  if (version === 0) {
    const tables = db.prepare(SQL.listTables).all() as { name: string }[];
    if (tables.length > 0) throw new CorruptSpoolError(`not a flowlog spool (tables: ${tables.map((t) => t.name).join(', ')})`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.exec(SQL.setUserVersion(v + 1));
    })();
  }
}

function configure(db: Db, sync: SpoolSync): void {
  db.exec(PRAGMA_AUTO_VACUUM); // only effective before the first table exists
  for (const p of PRAGMAS_WRITER) db.exec(p);
  db.exec(SQL.synchronous(sync === 'normal' ? 'NORMAL' : 'FULL'));
}

function check(db: Db): void {
  const rows = db.prepare(SQL.quickCheck).pluck().all() as string[];
  if (rows.length !== 1 || rows[0] !== 'ok') throw new CorruptSpoolError(`quick_check: ${rows.slice(0, 5).join('; ')}`);
}

export interface OpenedDb {
  db: Db;
  /** Where a corrupt file was moved, when it was. */
  quarantinedTo?: string;
  quarantineReason?: string;
}

/** Opens (creating if needed) a spool database; quarantines a corrupt file once and starts fresh. */
export function openSpoolDb(file: string, opts: { sync: SpoolSync; log: Logger; integrityCheck?: boolean }): OpenedDb {
  let quarantinedTo: string | undefined;
  let quarantineReason: string | undefined;
  for (let attempt = 0; ; attempt++) {
    let db: Db | undefined;
    try {
      prepareFiles(file);
      db = new Database(file);
      configure(db, opts.sync);
      if (opts.integrityCheck !== false) check(db);
      migrate(db);
      return { db, quarantinedTo, quarantineReason };
    } catch (e) {
      try {
        db?.close();
      } catch {
        /* already unusable */
      }
      if (e instanceof FlowlogError) throw e;
      if (isCorruption(e) && attempt === 0) {
        quarantineReason = describeError(e);
        try {
          quarantinedTo = quarantine(file);
        } catch (re) {
          throw new FlowlogError('SPOOL_CORRUPT', `spool ${file} is corrupt (${quarantineReason}) and could not be moved aside: ${(re as Error).message}`, { cause: re });
        }
        opts.log.error('spool file is corrupt: moved it aside and started an empty spool', {
          file,
          moved_to: quarantinedTo,
          reason: quarantineReason,
          hint: `recover readable batches with: flowlog spool check --file ${quarantinedTo} --salvage <dir>`,
        });
        continue;
      }
      const code = (e as { code?: string }).code ?? '';
      const readOnly = /READONLY|CANTOPEN|PERM|EACCES|EROFS/.test(code);
      throw new FlowlogError(
        isCorruption(e) ? 'SPOOL_CORRUPT' : 'SPOOL_IO',
        `cannot open spool ${file}: ${describeError(e)}${readOnly ? ' (is the directory read-only or owned by another user?)' : ''}`,
        { cause: e, details: { file } },
      );
    }
  }
}
