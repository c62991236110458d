// Container log line formats: CRI (`<RFC3339Nano> <stdout|stderr> <P|F>[:tags] <message>`, written by
// containerd and CRI-O under /var/log/pods) and Docker json-file (`{"log","stream","time"}`).
// One decoder per file; each line is recognised by its first byte ('{' = Docker, else CRI), so a
// malformed line never derails the file. Partial lines (CRI `P`, Docker `log` without a trailing
// "\n") are merged per stream up to max_merged_line_bytes, then the event is flagged log.truncated.
import { Attr, type LogEvent } from '../../../core/event.js';
import type { Line } from '../../../core/lines.js';
import { makeEvent, setEventAttr, textOf, type DecodeContext, type LineDecoder } from '../file/decoder.js';
import { decodeDockerLine } from './docker.js';
import { parseTimestampBytes } from './timestamp.js';

interface Partial {
  parts: Buffer[];
  len: number;
  start: number;
  truncated: boolean;
  timeMs: number;
  timeNs: number;
  since: number;
  invalid: boolean;
}

export class ContainerLogDecoder implements LineDecoder {
  /** Held partials by stream name. */
  private readonly partial = new Map<string, Partial>();
  /** The raw line being cut at max_line_bytes: its stream, and whether its CRI tag was F. */
  private cut: { stream: string; final: boolean } | null = null;

  constructor(private readonly maxMerged: number) {}

  push(line: Line, start: number, ctx: DecodeContext, out: LogEvent[]): void {
    const b = line.bytes;
    if (line.cont && this.cut) {
      // the rest of a raw line cut at max_line_bytes: more of the same message
      this.add(this.cut.stream, b, true, start, 0, 0, true, ctx, out);
      return;
    }
    if (this.cut) {
      const { stream, final } = this.cut;
      this.cut = null;
      const p = this.partial.get(stream);
      if (final && p) this.finishPartial(stream, p, ctx, out);
    }
    if (line.cont) return this.raw(line, ctx, out, 'continuation of a cut line');
    if (b.length > 0 && b[0] === 0x7b) return this.docker(line, start, ctx, out);
    // CRI: three space-separated header fields, then the message (possibly empty)
    const s1 = b.indexOf(32);
    const s2 = s1 < 0 ? -1 : b.indexOf(32, s1 + 1);
    let s3 = s2 < 0 ? -1 : b.indexOf(32, s2 + 1);
    if (s2 >= 0 && s3 < 0) s3 = b.length; // "<ts> stdout F" with an empty message
    if (s3 < 0) return this.raw(line, ctx, out, 'CRI line without timestamp, stream and tag');
    const stream = streamAt(b, s1 + 1, s2);
    if (!stream) return this.raw(line, ctx, out, `CRI stream is neither stdout nor stderr: ${JSON.stringify(b.toString('latin1', s1 + 1, Math.min(s2, s1 + 21)))}`);
    const tag = b[s2 + 1];
    if ((tag !== 0x46 && tag !== 0x50) || !(s2 + 2 === s3 || b[s2 + 2] === 0x3a)) return this.raw(line, ctx, out, 'CRI tag is neither P nor F');
    const ts = parseTimestampBytes(b, s1);
    if (!ts) return this.raw(line, ctx, out, 'CRI timestamp is not RFC 3339');
    const msg = b.subarray(Math.min(s3 + 1, b.length));
    // a raw line cut at max_line_bytes goes on without a CRI header: held until the next line
    if (line.truncated) this.cut = { stream, final: tag === 0x46 };
    this.add(stream, msg, tag === 0x50 || line.truncated, start, ts[0], ts[1], line.truncated, ctx, out);
  }

  private docker(line: Line, start: number, ctx: DecodeContext, out: LogEvent[]): void {
    const d = decodeDockerLine(line.bytes);
    if (typeof d === 'string') return this.raw(line, ctx, out, d);
    this.add(d.stream, d.log, d.partial, start, d.timeMs, d.timeNs, false, ctx, out, d.invalid);
  }

  private add(stream: string, msg: Buffer, partial: boolean, start: number, ms: number, ns: number, cut: boolean, ctx: DecodeContext, out: LogEvent[], invalid = false): void {
    let p = this.partial.get(stream);
    if (!p && !partial) return this.emit(stream, msg, ms, ns, cut, ctx, out, invalid);
    if (!p) {
      p = { parts: [], len: 0, start, truncated: false, timeMs: ms, timeNs: ns, since: 0, invalid: false };
      this.partial.set(stream, p);
    }
    if (invalid) p.invalid = true;
    p.since = Date.now();
    const room = this.maxMerged - p.len;
    if (msg.length > room) {
      if (room > 0) p.parts.push(Buffer.from(msg.subarray(0, room)));
      p.len = this.maxMerged;
      p.truncated = true;
    } else {
      p.parts.push(Buffer.from(msg)); // copied: the read buffer is not kept alive by held data
      p.len += msg.length;
    }
    if (cut) p.truncated = true;
    if (!partial) this.finishPartial(stream, p, ctx, out);
  }

  private finishPartial(stream: string, p: Partial, ctx: DecodeContext, out: LogEvent[]): void {
    this.partial.delete(stream);
    this.emit(stream, Buffer.concat(p.parts, p.len), p.timeMs, p.timeNs, p.truncated, ctx, out, p.invalid);
  }

  private emit(stream: string, msg: Buffer, ms: number, ns: number, truncated: boolean, ctx: DecodeContext, out: LogEvent[], invalid = false): void {
    const e = makeEvent('', ctx, ms, ns, Attr.iostream, stream);
    e.body = textOf(msg, ctx, e);
    if (invalid && !e.attributes[Attr.invalidUtf8]) {
      setEventAttr(e, ctx, Attr.invalidUtf8, true);
      ctx.stats.invalidUtf8++;
    }
    if (truncated) {
      setEventAttr(e, ctx, Attr.truncated, true);
      ctx.stats.truncated++;
    }
    out.push(e);
  }

  private raw(line: Line, ctx: DecodeContext, out: LogEvent[], reason: string): void {
    ctx.stats.parseErrors++;
    ctx.stats.lastParseError = reason;
    const e = makeEvent('', ctx);
    e.body = textOf(line.bytes, ctx, e);
    setEventAttr(e, ctx, 'log.parse_error', reason);
    if (line.truncated) setEventAttr(e, ctx, Attr.truncated, true);
    out.push(e);
  }

  flush(ctx: DecodeContext, out: LogEvent[]): void {
    this.cut = null;
    for (const [stream, p] of [...this.partial].sort((a, b) => a[1].start - b[1].start)) this.finishPartial(stream, p, ctx, out);
  }

  heldFrom(): number {
    let min = -1;
    for (const p of this.partial.values()) if (min < 0 || p.start < min) min = p.start;
    return min;
  }

  heldSince(): number {
    let max = 0;
    for (const p of this.partial.values()) max = Math.max(max, p.since);
    return max;
  }

  reset(): void {
    this.cut = null;
    this.partial.clear();
  }
}

/** 'stdout' | 'stderr' when b[from..to) spells one of them, else null (no string built). */
function streamAt(b: Buffer, from: number, to: number): 'stdout' | 'stderr' | null {
  if (to - from !== 6 || b[from] !== 0x73 || b[from + 1] !== 0x74 || b[from + 2] !== 0x64) return null;
  if (b[from + 3] === 0x6f && b[from + 4] === 0x75 && b[from + 5] === 0x74) return 'stdout';
  if (b[from + 3] === 0x65 && b[from + 4] === 0x72 && b[from + 5] === 0x72) return 'stderr';
  return null;
}
