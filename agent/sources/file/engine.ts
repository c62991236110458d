// The tailing engine shared by the file and kubernetes_logs sources. It asks a PathProvider for the
// files to tail (on fs.watch events and every glob_interval_ms), keeps one FileTailer per file
// identity (dev:inode), reads them round-robin in large chunks, and sends each batch with the
// checkpoint of the bytes it covers, awaiting the bounded output (a stalled output stops reading).
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SourceContext } from '../../../core/component.js';
import type { LogEvent } from '../../../core/event.js';
import { describeError, isFlowlogError } from '../../../core/errors.js';
import type { Counter } from '../../../core/telemetry/metrics.js';
import { decodePosition, encodePosition, type FilePosition } from './checkpoint.js';
import type { TailOptions } from './config.js';
import type { PathProvider } from './discovery.js';
import { fingerprintMatches, identityKey } from './fingerprint.js';
import { AheadBudget, FileTailer, type TailTarget } from './tailer.js';

export interface EngineOptions extends TailOptions {
  /** Held decoder data (multiline event, partial container line) is emitted after this long idle. */
  held_timeout_ms: number;
  /** Finds the target for a file found again at another path after a restart; null to skip it. */
  recoverTarget?: (newPath: string, oldPath: string) => TailTarget | null;
}

const MAX_WATCHERS = 4096;
/** In-memory positions kept for files not open any more (their checkpoints stay in the spool). */
const MAX_POSITIONS = 100_000;
/** Read-ahead buffers of all files together (the rest is read without overlap). */
const AHEAD_BUDGET_BYTES = 8 * 1024 * 1024;

export class TailEngine {
  private readonly tailers = new Map<string, FileTailer>();
  private readonly positions = new Map<string, FilePosition>();
  private readonly failing = new Map<string, string>();
  private readonly watchers = new Map<string, FSWatcher>();
  /** Paths fs.watch reported as changed since their last read. */
  private readonly dirty = new Set<string>();
  private wakeUp: (() => void) | null = null;
  private scanRequested = false;
  private ctx!: SourceContext;
  private m!: Record<'events' | 'bytes' | 'invalid' | 'truncated' | 'parse' | 'excluded', Counter>;
  private readonly pollMs: number;
  private readonly idlePollMs: number;
  private readonly aheadBudget = new AheadBudget(AHEAD_BUDGET_BYTES);

  constructor(
    private readonly provider: PathProvider,
    private readonly opts: EngineOptions,
  ) {
    this.pollMs = Math.min(250, opts.glob_interval_ms);
    this.idlePollMs = Math.max(this.pollMs, Math.min(1000, opts.glob_interval_ms));
  }

  /** Files currently open (tests, metrics). */
  get openFiles(): number {
    return this.tailers.size;
  }

  async run(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    const c = (n: string, h: string) => ctx.metrics.counter(n, h, { component: ctx.name });
    this.m = {
      events: c('flowlog_source_events_total', 'Events read by a source'),
      bytes: c('flowlog_source_bytes_total', 'Bytes read by a source'),
      invalid: c('flowlog_source_invalid_utf8_total', 'Events whose invalid UTF-8 was replaced'),
      truncated: c('flowlog_source_truncated_lines_total', 'Lines cut at max_line_bytes (or merged lines at their cap)'),
      parse: c('flowlog_source_parse_errors_total', 'Lines that did not parse and were emitted raw'),
      excluded: c('flowlog_source_excluded_events_total', 'Events dropped because their pod or namespace is excluded'),
    };
    ctx.metrics.gauge('flowlog_source_open_files', 'Files a source holds open', { component: ctx.name });
    ctx.metrics.onCollect('flowlog_source_open_files', () =>
      ctx.metrics.gauge('flowlog_source_open_files', 'Files a source holds open', { component: ctx.name }).set(this.tailers.size),
    );
    for (const [key, value] of ctx.checkpoints) {
      const p = decodePosition(value);
      if (p) this.positions.set(key, p);
      else ctx.log.once(`badcp:${key}`, 'warn', 'ignoring a checkpoint that is not a file position', { key });
    }
    const firstStart = ctx.checkpoints.size === 0;
    const onAbort = () => this.wake();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.scan(firstStart);
      await this.recoverRotated();
      let nextScan = Date.now() + this.opts.glob_interval_ms;
      while (!ctx.signal.aborted) {
        let progressed = false;
        for (const t of [...this.tailers.values()]) {
          if (ctx.signal.aborted) break;
          if (await this.step(t)) progressed = true;
        }
        if (ctx.signal.aborted) break;
        if (this.scanRequested || Date.now() >= nextScan) {
          this.scanRequested = false;
          await this.scan(false).catch((e: unknown) => {
            if (isFlowlogError(e, 'ABORTED') || isFlowlogError(e, 'CHANNEL_CLOSED')) throw e;
            ctx.log.once(`scan:${describeError(e)}`, 'error', 'scanning for files failed; retrying at the next scan', { error: describeError(e) });
          });
          nextScan = Date.now() + this.opts.glob_interval_ms;
        }
        if (!progressed) await this.sleep(this.pollMs);
      }
    } catch (e) {
      // shutdown (abort) or the pipeline closed our output: stop; positions were committed per batch
      if (!(ctx.signal.aborted && isFlowlogError(e, 'ABORTED')) && !isFlowlogError(e, 'CHANNEL_CLOSED')) throw e;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      for (const w of this.watchers.values()) w.close();
      this.watchers.clear();
      for (const t of this.tailers.values()) await t.close();
      this.tailers.clear();
    }
  }

  /** One read (or EOF housekeeping) for a file; true when data was read. */
  private async step(t: FileTailer): Promise<boolean> {
    const now = Date.now();
    // an idle file is looked at again when fs.watch reports a change in it, or after pollMs
    // (so one busy file is not slowed down by syscalls on hundreds of idle ones)
    if (t.idle && now < t.nextPoll && !this.dirty.has(t.path)) return false;
    this.dirty.delete(t.path);
    try {
      // before reading after an idle spell (or every pollMs while busy): was the file truncated or
      // rewritten in place (copytruncate)? Reading at the old offset would yield foreign bytes.
      if (t.idle || now - t.lastVerify >= this.pollMs) {
        const change = await t.checkContent();
        if (change !== 'none') {
          this.rotation(change);
          this.ctx.log.info('file truncated or rewritten in place; reading it again from the start', { path: t.path, kind: change, offset: t.offset });
          await t.finish((ev, off) => this.emit(t, ev, off));
          await t.restart();
        }
      }
      const n = await t.readChunk(this.opts.read_chunk_bytes, this.opts.batch_size, (ev, off) => this.emit(t, ev, off));
      this.syncStats(t);
      t.idle = n === 0;
      // with fs.watch on its directory an idle file needs only a slow safety-net poll
      if (t.idle) {
        let next = now + (this.watchers.has(dirname(t.path)) ? this.idlePollMs : this.pollMs);
        // ...but not later than a held event's flush timeout or a detached file's close time
        const held = t.decoder.heldSince();
        if (held > 0) next = Math.min(next, held + this.opts.held_timeout_ms);
        if (t.detachedAt > 0) next = Math.min(next, Math.max(t.detachedAt, t.lastGrowth) + this.opts.rotate_wait_ms);
        t.nextPoll = next;
      }
      if (n > 0) {
        this.m.bytes.inc(n);
        return true;
      }
      const since = t.decoder.heldSince();
      if (since > 0 && now - since >= this.opts.held_timeout_ms) {
        await t.flushHeld((ev, off) => this.emit(t, ev, off));
        this.syncStats(t);
      }
      if (t.detachedAt > 0 && now - Math.max(t.detachedAt, t.lastGrowth) >= this.opts.rotate_wait_ms) {
        await t.finish((ev, off) => this.emit(t, ev, off));
        this.syncStats(t);
        await t.close();
        this.tailers.delete(t.key);
        this.ctx.log.debug('closed a rotated or deleted file after reading it to the end', { path: t.path, offset: t.offset });
      }
      return false;
    } catch (e) {
      if ((this.ctx.signal.aborted && isFlowlogError(e, 'ABORTED')) || isFlowlogError(e, 'CHANNEL_CLOSED')) throw e;
      this.fail(t.path, e as NodeJS.ErrnoException);
      await t.close();
      this.tailers.delete(t.key);
      return false;
    }
  }

  private async emit(t: FileTailer, events: LogEvent[], offset: number): Promise<void> {
    let evs = events;
    if (evs.length > 0 && t.target.attributes() === null) {
      this.m.excluded.inc(evs.length);
      evs = [];
    }
    if (evs.length === 0 && offset === t.lastCheckpoint) return;
    const pos: FilePosition = { offset, fp: t.fp, path: t.path };
    t.lastCheckpoint = offset;
    this.remember(t.key, pos);
    this.m.events.inc(evs.length);
    await this.ctx.out.send({ events: evs, checkpoints: [{ source: this.ctx.name, key: t.key, value: encodePosition(pos) }] }, this.ctx.signal);
  }

  /** Known positions, most recently used last; files long closed are forgotten past MAX_POSITIONS. */
  private remember(key: string, pos: FilePosition): void {
    this.positions.delete(key);
    this.positions.set(key, pos);
    if (this.positions.size <= MAX_POSITIONS) return;
    for (const k of this.positions.keys()) {
      if (this.positions.size <= MAX_POSITIONS * 0.9) break;
      if (!this.tailers.has(k)) this.positions.delete(k);
    }
  }

  private readonly seen = new WeakMap<FileTailer, { invalid: number; truncated: number; parse: number }>();
  private syncStats(t: FileTailer): void {
    const prev = this.seen.get(t) ?? { invalid: 0, truncated: 0, parse: 0 };
    const s = t.stats;
    if (s.invalidUtf8 > prev.invalid) this.m.invalid.inc(s.invalidUtf8 - prev.invalid);
    if (s.truncated > prev.truncated) this.m.truncated.inc(s.truncated - prev.truncated);
    if (s.parseErrors > prev.parse) {
      this.m.parse.inc(s.parseErrors - prev.parse);
      this.ctx.log.once(`parse:${t.key}`, 'warn', 'lines that do not parse were emitted raw', { path: t.path, reason: s.lastParseError });
    }
    this.seen.set(t, { invalid: s.invalidUtf8, truncated: s.truncated, parse: s.parseErrors });
  }

  private rotation(kind: string): void {
    this.ctx.metrics.counter('flowlog_source_rotations_total', 'File rotations noticed, by kind', { component: this.ctx.name, kind }).inc();
  }

  /** Counts and logs (once per file and reason) a file that cannot be read; never throws. */
  private fail(path: string, err: NodeJS.ErrnoException): void {
    const reason =
      err.code === 'ENOENT' ? 'vanished' : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission_denied' : err.code === 'EISDIR' || err.code === 'ENOTFILE' ? 'not_a_file' : 'io_error';
    if (this.failing.get(path) === reason) return;
    this.failing.set(path, reason);
    if (this.failing.size > 100_000) this.failing.clear();
    this.ctx.metrics.counter('flowlog_source_file_errors_total', 'Files that could not be read, by reason', { component: this.ctx.name, reason }).inc();
    this.ctx.log.once(`${path}:${reason}`, reason === 'vanished' ? 'info' : 'warn', 'cannot read a file; skipping it until it changes', {
      path,
      reason,
      error: describeError(err),
    });
  }

  private async scan(initial: boolean): Promise<void> {
    this.dirty.clear(); // marks of files not tailed would pile up; tailed ones are polled within pollMs anyway
    const targets = await this.provider.scan((p, e) => this.fail(p, e));
    const seen = new Set<string>();
    for (const target of targets) {
      if (this.ctx.signal.aborted) return;
      let st;
      try {
        st = await stat(target.path);
      } catch (e) {
        this.fail(target.path, e as NodeJS.ErrnoException);
        continue;
      }
      if (!st.isFile()) {
        this.fail(target.path, Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' }));
        continue;
      }
      const key = identityKey(st.dev, st.ino);
      seen.add(key);
      const existing = this.tailers.get(key);
      if (existing) {
        if (existing.path !== target.path && (existing.detachedAt > 0 || !(await existing.pathIsOurs()))) {
          existing.target = target; // renamed to another path that is tailed too
          existing.detachedAt = 0;
        }
        continue;
      }
      await this.openTarget(key, target, st.ino, initial);
    }
    // a file no tailed path leads to any more was renamed away or deleted: read it to the end and
    // close it rotate_wait_ms after its last growth
    const now = Date.now();
    for (const t of this.tailers.values()) {
      if (t.detachedAt === 0 && !seen.has(t.key)) {
        t.detachedAt = now;
        this.rotation('rotated');
      }
    }
    this.syncWatchers();
  }

  private async openTarget(key: string, target: TailTarget, ino: number, initial: boolean, finishOnly = false): Promise<void> {
    let t: FileTailer;
    try {
      t = await FileTailer.open(key, target, ino, this.opts.max_line_bytes, this.opts.fingerprint_bytes, this.aheadBudget);
    } catch (e) {
      this.fail(target.path, e as NodeJS.ErrnoException);
      return;
    }
    let start = 0;
    try {
      const size = (await t.fh.stat()).size;
      const known = this.positions.get(key);
      if (known && (await fingerprintMatches(t.fh, known.fp))) {
        if (known.offset <= size) start = known.offset;
        else this.rotation('truncated');
      } else if (known) {
        this.rotation('inode_reused');
      } else if (initial && this.opts.read_from === 'end') {
        start = size;
      }
    } catch (e) {
      this.fail(target.path, e as NodeJS.ErrnoException);
      await t.close();
      return;
    }
    this.failing.delete(target.path);
    t.seek(start);
    if (finishOnly) t.detachedAt = Date.now();
    this.tailers.set(key, t);
  }

  /** After a restart: files with a checkpoint that moved away from their path are found by identity and finished. */
  private async recoverRotated(): Promise<void> {
    const byDir = new Map<string, [string, FilePosition][]>();
    for (const [key, pos] of this.positions) {
      if (this.tailers.has(key)) continue;
      const d = dirname(pos.path);
      (byDir.get(d) ?? byDir.set(d, []).get(d)!).push([key, pos]);
    }
    for (const [dir, entries] of byDir) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      const wanted = new Map(entries);
      for (const name of names) {
        if (wanted.size === 0) break;
        const p = join(dir, name);
        const st = await stat(p).catch(() => null);
        if (!st?.isFile()) continue;
        const key = identityKey(st.dev, st.ino);
        const pos = wanted.get(key);
        if (!pos || this.tailers.has(key)) continue;
        wanted.delete(key);
        if (st.size <= pos.offset) continue;
        const target = this.opts.recoverTarget?.(p, pos.path);
        if (!target) continue;
        await this.openTarget(key, target, st.ino, false, true);
        if (this.tailers.has(key)) {
          this.rotation('recovered');
          this.ctx.log.info('finishing a file rotated while the source was stopped', { path: p, was: pos.path, offset: pos.offset });
        }
      }
    }
  }

  private syncWatchers(): void {
    const want = new Set(this.provider.watchDirs());
    for (const t of this.tailers.values()) want.add(dirname(t.path));
    for (const [d, w] of this.watchers) {
      if (!want.has(d)) {
        w.close();
        this.watchers.delete(d);
      }
    }
    for (const d of want) {
      if (this.watchers.has(d) || this.watchers.size >= MAX_WATCHERS) continue;
      try {
        const w = watch(d, { persistent: false }, (ev, name) => {
          if (ev === 'rename') this.scanRequested = true;
          else if (name && this.dirty.size < 100_000) this.dirty.add(join(d, name.toString()));
          this.wake();
        });
        w.on('error', () => {
          w.close();
          this.watchers.delete(d);
        });
        this.watchers.set(d, w);
      } catch (e) {
        // ENOENT (directory gone) or inotify limits: the periodic scan still finds files
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT') this.ctx.log.once(`watch:${code}`, 'warn', 'fs.watch failed; relying on the periodic scan', { dir: d, error: describeError(e) });
      }
    }
  }

  private woken = false;
  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    if (w) w();
    else this.woken = true;
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || this.ctx.signal.aborted) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(), ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
