// Real journal files for the journald tests: export-format text piped into
// `systemd-journal-remote --output=FILE.journal -` (Debian package systemd-journal-remote; no
// running systemd needed). Writing again to the same file appends; a file that reaches its size
// limit is rotated next to it, so tests read the directory (`journal_directory`).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Channel } from '../../../../core/channel.js';
import type { EventBatch, SourceContext } from '../../../../core/component.js';
import { memoryLogger } from '../../../../core/telemetry/logger.js';
import { Metrics } from '../../../../core/telemetry/metrics.js';
import { journaldConfig, type JournaldConfig } from '../../../../agent/sources/journald/config.js';
import { JournaldSource } from '../../../../agent/sources/journald/source.js';

const CANDIDATES = ['/lib/systemd/systemd-journal-remote', '/usr/lib/systemd/systemd-journal-remote'];

export const journalRemote = CANDIDATES.find((p) => existsSync(p));

/** Why the journald tests cannot run here ('' when they can); with CI=true a reason fails the run. */
export function unavailableReason(): string {
  let reason = '';
  if (!journalRemote) reason = 'systemd-journal-remote is not installed (scripts/install-system-deps.sh installs it)';
  else if (!['/usr/bin/journalctl', '/bin/journalctl'].some((p) => existsSync(p))) reason = 'journalctl is not installed';
  if (reason && process.env.CI === 'true') throw new Error(`CI=true and the journald tests cannot run: ${reason}`);
  return reason;
}

export type FieldInput = string | Buffer | (string | Buffer)[];
export type EntryInput = Record<string, FieldInput>;

export const BOOT_ID = '0123456789abcdef0123456789abcdef';
export const BASE_US = 1_700_000_000_000_000;

/** One entry in export format; values that are Buffers or contain a newline use the binary form. */
export function exportEntry(e: EntryInput): Buffer {
  const parts: Buffer[] = [];
  for (const [k, raw] of Object.entries(e)) {
    for (const v of Array.isArray(raw) ? raw : [raw]) {
      if (typeof v === 'string' && !v.includes('\n')) parts.push(Buffer.from(`${k}=${v}\n`));
      else {
        const b = typeof v === 'string' ? Buffer.from(v) : v;
        const len = Buffer.alloc(8);
        len.writeBigUInt64LE(BigInt(b.length));
        parts.push(Buffer.from(`${k}\n`), len, b, Buffer.from('\n'));
      }
    }
  }
  parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}

/** A typical entry numbered `seq` (SEQ field, realtime stamp from seq). */
export function seqEntry(seq: number, extra: EntryInput = {}): EntryInput {
  return {
    __REALTIME_TIMESTAMP: String(BASE_US + seq),
    __MONOTONIC_TIMESTAMP: String(1000 + seq),
    _BOOT_ID: BOOT_ID,
    _HOSTNAME: 'node-1',
    _TRANSPORT: 'journal',
    _PID: '4242',
    _COMM: 'app',
    _SYSTEMD_UNIT: 'app.service',
    SYSLOG_IDENTIFIER: 'app',
    PRIORITY: '6',
    SEQ: String(seq),
    MESSAGE: `entry ${seq}`,
    ...extra,
  };
}

/** Appends entries to a journal file (created when missing) with systemd-journal-remote. */
export async function writeJournal(file: string, entries: Iterable<EntryInput>): Promise<void> {
  if (!journalRemote) throw new Error('systemd-journal-remote missing');
  const child = spawn(journalRemote, [`--output=${file}`, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<number | null>((resolve) => child.on('close', resolve));
  let buf: Buffer[] = [];
  let size = 0;
  for (const e of entries) {
    const b = exportEntry(e);
    buf.push(b);
    size += b.length;
    if (size > 1 << 20) {
      if (!child.stdin.write(Buffer.concat(buf))) await new Promise((r) => child.stdin.once('drain', r));
      buf = [];
      size = 0;
    }
  }
  child.stdin.end(Buffer.concat(buf));
  const code = await done;
  if (code !== 0) throw new Error(`systemd-journal-remote exited ${code}: ${stderr}`);
}

export function config(over: Partial<Record<keyof JournaldConfig, unknown>>): JournaldConfig {
  return journaldConfig.parse(over);
}

/** Runs the source with a real bounded channel; the returned handle collects every batch. */
export function startSource(cfg: JournaldConfig, checkpoints: Record<string, string> = {}, capacity = 8) {
  const ch = new Channel<EventBatch>({ capacity });
  const ac = new AbortController();
  const log = memoryLogger();
  const metrics = new Metrics();
  const ctx: SourceContext = {
    name: 'jd',
    signal: ac.signal,
    log,
    metrics,
    dataDir: '/nonexistent',
    out: ch,
    checkpoints: new Map(Object.entries(checkpoints)),
  };
  const batches: EventBatch[] = [];
  const running = new JournaldSource(cfg).run(ctx);
  const collecting = (async () => {
    for await (const b of ch) batches.push(b);
  })();
  const events = () => batches.flatMap((b) => b.events);
  return {
    batches,
    events,
    log,
    metrics,
    running,
    /** Waits until `pred` holds (polling), failing after `ms`. */
    async until(pred: () => boolean, ms = 30_000, what = 'condition'): Promise<void> {
      const t0 = Date.now();
      while (!pred()) {
        if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}; got ${events().length} events`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop(): Promise<void> {
      ac.abort();
      try {
        await running;
      } finally {
        ch.close();
        await collecting;
      }
    },
  };
}
