// Writes events to stdout/stderr as NDJSON or plain text (Vector's `console` sink). A batch is
// acknowledged once the stream accepted it (write callback), so backpressure from a slow pipe holds.
import type { Writable } from 'node:stream';
import { encodeEvent } from '../../../core/codec.js';
import type { Sink, SinkContext } from '../../../core/component.js';
import type { ConsoleConfig } from './config.js';

export class ConsoleSink implements Sink {
  constructor(
    private readonly cfg: ConsoleConfig,
    private readonly stream: Writable = cfg.target === 'stdout' ? process.stdout : process.stderr,
  ) {}

  async run(ctx: SinkContext): Promise<void> {
    const sent = ctx.metrics.counter('flowlog_sink_events_total', 'Events delivered by a sink', { component: ctx.name });
    const json = this.cfg.encoding.codec === 'json';
    for await (const batch of ctx.input) {
      let text = '';
      for (const e of batch.events) text += (json ? encodeEvent(e) : e.body) + '\n';
      try {
        await new Promise<void>((resolve, reject) => this.stream.write(text, (err) => (err ? reject(err) : resolve())));
        sent.inc(batch.events.length);
        batch.ack?.('delivered');
      } catch (e) {
        batch.ack?.('rejected', e as Error);
        throw e;
      }
    }
  }
}
