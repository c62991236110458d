// Structured logging to stderr: one line per record, JSON (default when not a TTY) or text.
// Field values whose key looks like a secret are redacted; components should never pass secrets anyway.

export type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /pass(word)?|secret|token|credential|authorization|api[_-]?key|sasl/i;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose records carry these fields too. */
  child(fields: Record<string, unknown>): Logger;
  /** Logs at most once per key for this logger's lifetime (e.g. one warning per bad file). */
  once(key: string, level: Level, msg: string, fields?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  level?: Level;
  format?: 'json' | 'text';
  write?: (line: string) => void;
}

export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_KEY.test(k)) out[k] = '[redacted]';
    else if (v instanceof Error) out[k] = v.message;
    else out[k] = v;
  }
  return out;
}

export function createLogger(opts: LoggerOptions = {}, base: Record<string, unknown> = {}, seen = new Set<string>()): Logger {
  const min = RANK[opts.level ?? ((process.env.FLOWLOG_LOG as Level) || 'info')] ?? RANK.info;
  const format = opts.format ?? (process.stderr.isTTY ? 'text' : 'json');
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < min) return;
    const all = redact({ ...base, ...fields });
    if (format === 'json') {
      write(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...all }));
    } else {
      const kv = Object.entries(all)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v)}`)
        .join(' ');
      write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}${kv ? ' ' + kv : ''}`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...opts, format, write }, { ...base, ...fields }, seen),
    once(key, level, msg, fields) {
      const k = `${JSON.stringify(base)}|${key}`;
      if (seen.has(k)) return;
      if (seen.size > 100_000) seen.clear();
      seen.add(k);
      emit(level, msg, fields);
    },
  };
}

/** A logger that keeps records in memory (for tests and `--json` commands). */
export function memoryLogger(): Logger & { records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const l = createLogger({ level: 'debug', format: 'json', write: (line) => records.push(JSON.parse(line)) });
  return Object.assign(l, { records });
}
