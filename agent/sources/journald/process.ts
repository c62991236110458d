// The journalctl child process: its command line, spawning it with a clear error when the binary is
// missing, stopping it, and the restart backoff.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { FlowlogError } from '../../../core/errors.js';
import type { JournaldConfig } from './config.js';

export type Journalctl = ChildProcessByStdio<null, Readable, Readable>;

/** Where reading starts. */
export type StartAt = { after: string } | 'head' | 'tail';

/** The match arguments (`FIELD=value`) for include_units and include_matches. */
export function matchArgs(cfg: JournaldConfig): string[] {
  const out: string[] = [];
  for (const u of cfg.include_units) out.push(`_SYSTEMD_UNIT=${unitName(u)}`);
  for (const [field, values] of Object.entries(cfg.include_matches)) for (const v of values) out.push(`${field}=${v}`);
  return out;
}

/** Vector's rule: a unit name without a dot means a service. */
export function unitName(u: string): string {
  return u.includes('.') ? u : `${u}.service`;
}

/** Options shared by every journalctl invocation (which journal, merged or not). */
function journalArgs(cfg: JournaldConfig): string[] {
  const out = ['--no-pager'];
  if (cfg.journal_directory !== undefined) out.push(`--directory=${cfg.journal_directory}`);
  if (cfg.merge) out.push('--merge');
  return out;
}

/**
 * The reading command line: with `follow`, journalctl waits for new entries after the last one; without
 * it (the catch-up pass) it prints what is stored and exits — ~10% less work in journalctl per entry.
 */
export function followArgs(cfg: JournaldConfig, start: StartAt, follow = true): string[] {
  const out = ['--output=export', ...(follow ? ['--follow'] : []), ...journalArgs(cfg)];
  // --no-tail also with a cursor: `--follow` otherwise implies `--lines=10`, and journalctl 252 then
  // prints only 10 entries after the cursor before it waits for new ones
  if (start === 'head') out.push('--no-tail');
  else if (start === 'tail') out.push('--lines=0');
  else out.push(`--after-cursor=${start.after}`, '--no-tail');
  // matches last: journalctl takes the remaining arguments as matches
  out.push(...matchArgs(cfg));
  return out;
}

/** The command line that prints the newest entry (to learn the tail's cursor). */
export function tailArgs(cfg: JournaldConfig): string[] {
  return ['--output=export', '--lines=1', ...journalArgs(cfg), ...matchArgs(cfg)];
}

/**
 * Spawns journalctl and waits until it is running. A missing or non-executable binary is a
 * FLOWLOG_SOURCE_PROCESS error that names the `journalctl_path` option (not retryable).
 */
export function spawnJournalctl(path: string, args: string[]): Promise<Journalctl> {
  return new Promise((resolve, reject) => {
    let child: Journalctl;
    try {
      // its own process group, so that stopping it also stops what a wrapper script (journalctl_path
      // pointing at a chroot/nsenter script) started; journalctl itself exits when its stdout closes
      child = spawn(path, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        env: { ...process.env, SYSTEMD_COLORS: '0', LC_ALL: 'C.UTF-8', ...stdoutBufferEnv(path) },
      });
    } catch (e) {
      reject(spawnError(path, e));
      return;
    }
    const onError = (e: Error) => reject(spawnError(path, e));
    child.once('error', onError);
    child.once('spawn', () => {
      child.off('error', onError);
      closedOf.set(child, new Promise((res) => child.once('close', (code, signal) => res({ code, signal }))));
      resolve(child);
    });
  });
}

/** journalctl's stdout buffer when coreutils' stdbuf library is available (one pipe's capacity). */
export const STDOUT_BUFFER_BYTES = 64 * 1024;
const STDBUF_LIBS = ['/usr/libexec/coreutils/libstdbuf.so', '/usr/lib/coreutils/libstdbuf.so', '/usr/local/libexec/coreutils/libstdbuf.so'];
let stdbufLib: string | null | undefined;

/**
 * journalctl writes through stdio with a 4 KiB buffer (a pipe's st_blksize), so the source would
 * wake up and parse ~16 small chunks per 64 KiB. Preloading coreutils' libstdbuf (what `stdbuf -o`
 * does) gives it a 64 KiB buffer: ~13x fewer reads, wake-ups and write syscalls. journalctl flushes
 * stdout before it waits for new entries in --follow mode, so live entries are not held back.
 * Only for the journalctl binary itself (not a wrapper script, which may enter a chroot where the
 * library does not exist) and only when the library is installed; otherwise nothing changes.
 */
export function stdoutBufferEnv(path: string): Record<string, string> {
  if (basename(path) !== 'journalctl') return {};
  stdbufLib ??= STDBUF_LIBS.find((p) => existsSync(p)) ?? null;
  if (stdbufLib === null) return {};
  const preload = process.env.LD_PRELOAD;
  return { LD_PRELOAD: preload ? `${preload} ${stdbufLib}` : stdbufLib, _STDBUF_O: String(STDOUT_BUFFER_BYTES) };
}

function spawnError(path: string, e: unknown): FlowlogError {
  const code = (e as { code?: string }).code;
  const why = code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not executable' : 'could not be started';
  return new FlowlogError(
    'SOURCE_PROCESS',
    `journald source: journalctl ${why} at journalctl_path "${path}" (install systemd's journalctl or set journalctl_path to its full path)`,
    { cause: e, retryable: false, details: { option: 'journalctl_path', path } },
  );
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };
const closedOf = new WeakMap<Journalctl, Promise<Exit>>();

/** Resolves with the exit code (or signal name) once the child has exited and its pipes closed. */
export function exited(child: Journalctl): Promise<Exit> {
  return closedOf.get(child)!;
}

/** Signals the child's process group (the child alone if the group is gone). */
function signalGroup(child: Journalctl, sig: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, sig);
  } catch {
    child.kill(sig);
  }
}

/** SIGTERM to the child's process group, then SIGKILL if it has not exited after `graceMs`. */
export async function stopChild(child: Journalctl, graceMs = 2000): Promise<void> {
  const done = exited(child);
  signalGroup(child, 'SIGTERM');
  const t = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  try {
    await done;
  } finally {
    clearTimeout(t);
  }
}

export const BACKOFF_MIN_MS = 250;
export const BACKOFF_MAX_MS = 30_000;

/** Exponential backoff with ±25 % jitter: 250 ms, 500 ms, 1 s ... capped at 30 s. */
export function backoffMs(attempt: number, random = Math.random): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(attempt, 20));
  return Math.round(base * (0.75 + random() * 0.5));
}
