// Reads newline-delimited text from standard input (Vector's `stdin` source).
import type { Readable } from 'node:stream';
import type { Source, SourceContext } from '../../../core/component.js';
import { Attr, newEvent, type LogEvent } from '../../../core/event.js';
import { LineSplitter, type Line } from '../../../core/lines.js';
import { decodeUtf8 } from '../../../core/utf8.js';
import type { StdinConfig } from './config.js';

export class StdinSource implements Source {
  constructor(
    private readonly cfg: StdinConfig,
    private readonly input: Readable = process.stdin,
  ) {}

  async run(ctx: SourceContext): Promise<void> {
    const split = new LineSplitter(this.cfg.max_line_bytes);
    const lines = ctx.metrics.counter('flowlog_source_events_total', 'Events read by a source', { component: ctx.name });
    const invalid = ctx.metrics.counter('flowlog_source_invalid_utf8_total', 'Events whose invalid UTF-8 was replaced', { component: ctx.name });
    let batch: LogEvent[] = [];
    const toEvents = async (ls: Line[]) => {
      for (const l of ls) {
        const { text, invalid: bad } = decodeUtf8(l.bytes);
        const e = newEvent(text, { [Attr.source]: ctx.name });
        if (l.truncated) e.attributes[Attr.truncated] = true;
        if (bad) {
          e.attributes[Attr.invalidUtf8] = true;
          invalid.inc();
        }
        batch.push(e);
        if (batch.length >= this.cfg.batch_size) await flush();
      }
    };
    const flush = async () => {
      if (batch.length === 0) return;
      const events = batch;
      batch = [];
      lines.inc(events.length);
      await ctx.out.send({ events }, ctx.signal);
    };
    const onAbort = () => this.input.destroy();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const chunk of this.input) {
        await toEvents(split.push(chunk as Buffer));
        // hand over what a chunk produced without waiting for a full batch (interactive input)
        await flush();
      }
    } catch (e) {
      if (!ctx.signal.aborted) throw e;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
    await toEvents(split.flush());
    await flush();
  }
}
