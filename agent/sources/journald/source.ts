// The journald source: reads the stored journal (a `journalctl --output=export` catch-up pass), then
// follows it through a `journalctl --output=export --follow` child
// process, maps entries to events, and hands them downstream in batches whose checkpoint is the
// cursor of the batch's last entry. journalctl exiting is supervised: restart with backoff from the
// last cursor handed downstream. Backpressure: the child's stdout is only read while downstream
// accepts batches, so a full pipeline stops journalctl at its pipe (memory stays bounded).
import type { Source, SourceContext } from '../../../core/component.js';
import { describeError, isFlowlogError } from '../../../core/errors.js';
import type { LogEvent } from '../../../core/event.js';
import { LineSplitter } from '../../../core/lines.js';
import type { JournaldConfig } from './config.js';
import { checkpointOf, CHECKPOINT_KEY, startFrom, tailCursor } from './cursor.js';
import { ExportParser } from './export-parser.js';
import { EntryBuilder, type MappedEntry } from './mapping.js';
import { backoffMs, followArgs, spawnJournalctl, stopChild, tailArgs, unitName, exited, type StartAt } from './process.js';

/** A partial batch is handed over once journalctl has been quiet this long. */
export const IDLE_FLUSH_MS = 50;
/** A run of journalctl this long counts as healthy: the backoff starts over. */
const HEALTHY_RUN_MS = 30_000;
const STDERR_TAIL_LINES = 10;

const TIMEOUT = Symbol('timeout');

export class JournaldSource implements Source {
  private readonly excluded: Set<string>;

  constructor(private readonly cfg: JournaldConfig) {
    this.excluded = new Set(cfg.exclude_units.map(unitName));
  }

  async run(ctx: SourceContext): Promise<void> {
    const { cfg } = this;
    const m = ctx.metrics;
    const labels = { component: ctx.name };
    const stats = {
      events: m.counter('flowlog_source_events_total', 'Events read by a source', labels),
      filtered: m.counter('flowlog_source_journald_filtered_total', 'Journal entries dropped by exclude_units / include_kernel', labels),
      invalid: m.counter('flowlog_source_invalid_utf8_total', 'Events whose invalid UTF-8 was replaced', labels),
      restarts: m.counter('flowlog_source_journald_restarts_total', 'journalctl restarts after it exited', labels),
      stderr: m.counter('flowlog_source_journald_stderr_lines_total', 'Lines journalctl wrote to stderr', labels),
      parseErrors: m.counter('flowlog_source_journald_parse_errors_total', 'Export streams that could not be parsed (journalctl restarted)', labels),
    };
    let start: StartAt = startFrom(ctx.checkpoints.get(CHECKPOINT_KEY), cfg.since_now);
    if (start === 'tail') {
      const { cursor, stderr } = await tailCursor(cfg.journalctl_path, tailArgs(cfg));
      for (const l of stderr.split('\n')) if (l.trim()) ctx.log.warn('journalctl', { stderr: l });
      if (cursor) {
        // the starting point becomes durable at once: a restart before the first entry resumes here
        await ctx.out.send({ events: [], checkpoints: [checkpointOf(ctx.name, cursor)] }, ctx.signal).catch((e) => {
          if (!ctx.signal.aborted) throw e;
        });
        start = { after: cursor };
      } else start = 'head';
    }
    let attempt = 0;
    // The first run reads what is stored in a catch-up pass (journalctl without --follow exits at the
    // end; ~10% cheaper for it per entry), then follows from the last cursor handed downstream. Any
    // other exit (failure, cut-off output) restarts in follow mode with backoff, as always.
    let catchUp = true;
    while (!ctx.signal.aborted) {
      const t0 = Date.now();
      const r = await this.runOnce(ctx, start, stats, !catchUp);
      if (r.cursor) start = { after: r.cursor };
      if (ctx.signal.aborted) break;
      const caughtUp = catchUp && r.code === 0 && !r.error && !r.partial;
      catchUp = false;
      if (caughtUp) continue; // the stored entries are read: follow now, no restart, no backoff
      if (r.entries > 0 || Date.now() - t0 > HEALTHY_RUN_MS) attempt = 0;
      const delay = backoffMs(attempt++);
      stats.restarts.inc();
      ctx.log.warn('journalctl exited; restarting it', {
        exit_code: r.code,
        signal: r.signal,
        error: r.error,
        entries: r.entries,
        restart_in_ms: delay,
        stderr: r.stderrTail.join('\n'),
      });
      await sleep(delay, ctx.signal);
    }
  }

  /** One journalctl process, from `start` until it exits or the source is stopped. */
  private async runOnce(
    ctx: SourceContext,
    start: StartAt,
    stats: Record<'events' | 'filtered' | 'invalid' | 'stderr' | 'parseErrors', { inc(n?: number): void }>,
    follow: boolean,
  ): Promise<{ cursor: string | null; entries: number; code: number | null; signal: string | null; error?: string; partial: boolean; stderrTail: string[] }> {
    const { cfg } = this;
    const child = await spawnJournalctl(cfg.journalctl_path, followArgs(cfg, start, follow));
    const stderrTail: string[] = [];
    const errLines = new LineSplitter(64 * 1024);
    child.stderr.on('data', (chunk: Buffer) => {
      for (const l of errLines.push(chunk)) {
        const line = l.bytes.toString('utf8');
        if (!line.trim()) continue;
        stats.stderr.inc();
        ctx.log.warn('journalctl', { stderr: line });
        stderrTail.push(line);
        if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
      }
    });
    const onAbort = () => void stopChild(child);
    ctx.signal.addEventListener('abort', onAbort, { once: true });

    let pending: MappedEntry[] = [];
    let cursor: string | null = null; // last cursor handed downstream
    let entries = 0;
    let error: string | undefined;
    let partial = false; // the output ended inside an entry (cut off): not a clean end
    const builder = new EntryBuilder(
      { source: ctx.name, lowercaseFields: cfg.lowercase_fields, stripUnderscores: cfg.strip_underscores },
      (e) => pending.push(e),
    );
    const parser = new ExportParser(builder);

    const flush = async (all: boolean) => {
      while (pending.length >= cfg.batch_size || (all && pending.length > 0)) {
        const take = pending.length > cfg.batch_size ? pending.slice(0, cfg.batch_size) : pending;
        pending = take === pending ? [] : pending.slice(cfg.batch_size);
        const events: LogEvent[] = [];
        let last: string | null = null;
        for (const e of take) {
          if (e.cursor) last = e.cursor;
          if (this.keep(e)) {
            events.push(e.event);
            if (e.event.attributes['log.invalid_utf8'] === true) stats.invalid.inc();
          } else stats.filtered.inc();
        }
        if (last === null) continue; // no cursor: nothing to resume from (cannot happen with export)
        await ctx.out.send({ events, checkpoints: [checkpointOf(ctx.name, last)] }, ctx.signal);
        cursor = last;
        entries += take.length;
        stats.events.inc(events.length);
      }
    };

    const it = child.stdout[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    let next: Promise<IteratorResult<Buffer>> | null = null;
    try {
      while (true) {
        next ??= it.next();
        let r: IteratorResult<Buffer> | typeof TIMEOUT;
        if (pending.length > 0 && child.stdout.readableLength === 0) {
          // nothing more buffered: hand the partial batch over unless more comes within IDLE_FLUSH_MS
          let timer: NodeJS.Timeout | undefined;
          r = await Promise.race([next, new Promise<typeof TIMEOUT>((res) => (timer = setTimeout(res, IDLE_FLUSH_MS, TIMEOUT)))]);
          clearTimeout(timer);
          if (r === TIMEOUT) {
            await flush(true);
            continue;
          }
        } else r = await next;
        next = null;
        if (r.done) break;
        try {
          parser.push(r.value);
        } catch (e) {
          if (!isFlowlogError(e, 'SOURCE_PARSE')) throw e;
          // journalctl's stream is broken: keep what was complete, restart after the last entry
          stats.parseErrors.inc();
          error = describeError(e);
          ctx.log.error('journald source: cannot parse journalctl output; restarting it', { error });
          await flush(true);
          break;
        }
        await flush(false);
      }
      await flush(true);
    } catch (e) {
      if (!ctx.signal.aborted) {
        await stopChild(child);
        throw e;
      }
    } finally {
      partial = parser.inEntry;
      ctx.signal.removeEventListener('abort', onAbort);
      builder.discard();
      parser.reset();
    }
    // stopping (or broken output): what was read but not handed over is read again next time, its
    // cursor was not sent. Unread pipe data is dropped, or 'close' would wait for it forever.
    // After a natural end this only reaps what a wrapper may have left.
    child.stdout.destroy();
    const { code, signal } = await (error || ctx.signal.aborted ? stopChild(child).then(() => exited(child)) : exited(child));
    await stopChild(child, 100);
    return { cursor, entries, code, signal, error, partial, stderrTail };
  }

  private keep(e: MappedEntry): boolean {
    if (this.excluded.size > 0 && this.excluded.has(e.unit)) return false;
    if (!this.cfg.include_kernel && e.transport === 'kernel') return false;
    return true;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
