// Multiline joining (Java / Python stack traces): a line matching `start_pattern` begins an event,
// other lines are appended to the current event with '\n'. An event is emitted when the next start
// line arrives, when it reaches `max_lines`, or after `timeout_ms` without a continuation (the
// engine calls flush). Wraps another decoder, so it works on decoded text (e.g. CRI messages too).
import { Attr, copyAttributes, type Attributes, type LogEvent } from '../../../core/event.js';
import type { Line } from '../../../core/lines.js';
import type { MultilineConfig } from './config.js';
import type { DecodeContext, LineDecoder } from './decoder.js';

export class MultilineDecoder implements LineDecoder {
  private readonly start: RegExp;
  private held: LogEvent | null = null;
  /** Whether the held event's attributes are its own copy (else they may be shared: copy-on-write). */
  private heldOwns = false;
  private heldLines = 0;
  private heldStart = -1;
  private lastAppend = 0;
  private readonly one: LogEvent[] = [];

  constructor(
    private readonly inner: LineDecoder,
    private readonly cfg: MultilineConfig,
    /** Upper bound of a joined body in bytes (UTF-16 length as a cheap proxy); beyond it the event is flagged truncated. */
    private readonly maxBytes: number,
  ) {
    this.start = new RegExp(cfg.start_pattern);
  }

  push(line: Line, start: number, ctx: DecodeContext, out: LogEvent[]): void {
    const innerHeld = this.inner.heldFrom();
    const lineStart = innerHeld >= 0 ? innerHeld : start;
    this.one.length = 0;
    this.inner.push(line, start, ctx, this.one);
    for (const e of this.one) this.add(e, lineStart, ctx, out);
  }

  private add(e: LogEvent, start: number, ctx: DecodeContext, out: LogEvent[]): void {
    if (this.held && !this.start.test(e.body) && this.heldLines < this.cfg.max_lines) {
      if (this.held.body.length + e.body.length + 1 <= this.maxBytes) this.held.body += '\n' + e.body;
      else if (!this.held.attributes[Attr.truncated]) {
        this.ownAttributes()[Attr.truncated] = true;
        ctx.stats.truncated++;
      }
      for (const k in e.attributes) if (!(k in this.held.attributes)) this.ownAttributes()[k] = e.attributes[k]!;
      this.heldLines++;
      this.lastAppend = Date.now();
      return;
    }
    if (this.held) out.push(this.held);
    this.held = e;
    this.heldOwns = false;
    this.heldLines = 1;
    this.heldStart = start;
    this.lastAppend = Date.now();
  }

  /** The held event's attributes, copied before its first change (they may be the file's shared ones). */
  private ownAttributes(): Attributes {
    if (!this.heldOwns) {
      this.held!.attributes = copyAttributes(this.held!.attributes);
      this.heldOwns = true;
    }
    return this.held!.attributes;
  }

  flush(ctx: DecodeContext, out: LogEvent[]): void {
    this.one.length = 0;
    this.inner.flush(ctx, this.one);
    for (const e of this.one) this.add(e, this.heldStart >= 0 ? this.heldStart : 0, ctx, out);
    if (this.held) out.push(this.held);
    this.held = null;
    this.heldLines = 0;
    this.heldStart = -1;
    this.lastAppend = 0;
  }

  heldFrom(): number {
    if (this.held) return this.heldStart;
    return this.inner.heldFrom();
  }

  heldSince(): number {
    return this.held ? this.lastAppend : this.inner.heldSince();
  }

  reset(): void {
    this.inner.reset();
    this.held = null;
    this.heldLines = 0;
    this.heldStart = -1;
  }
}
