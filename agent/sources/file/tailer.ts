// One open file: reads large chunks at an offset, splits lines with Buffer.indexOf (core/lines.ts),
// hands them to the file's decoder, and knows the exact offset up to which events were produced.
// Rotation checks (truncation, replaced content, rename/delete of the path) live here too; the
// engine (engine.ts) decides when to read, emits batches and closes detached files.
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Attributes, LogEvent } from '../../../core/event.js';
import { nowParts } from '../../../core/event.js';
import { LineSplitter, type Line } from '../../../core/lines.js';
import type { DecodeContext, DecodeStats, LineDecoder } from './decoder.js';
import { describeLines } from './chunk-lines.js';
import { newStats } from './decoder.js';
import { fingerprintMatches, readFingerprint, type Fingerprint } from './fingerprint.js';

export interface TailTarget {
  path: string;
  /** Builds the file's decoder. */
  decoder: () => LineDecoder;
  /** Attributes for the file's events; null = excluded (events dropped and counted, position advances). */
  attributes: () => Attributes | null;
}

export type ChangeKind = 'none' | 'truncated' | 'replaced';

const MIN_READ = 64 * 1024;

/** Bytes all tailers of a source may hold in read-ahead buffers at once (many busy files must not each pin a chunk). */
export class AheadBudget {
  constructor(public left: number) {}
}

export class FileTailer {
  /** Read position: every byte before it was handed to the splitter. */
  private pos = 0;
  private readonly split: LineSplitter;
  readonly decoder: LineDecoder;
  readonly stats: DecodeStats = newStats();
  private readSize = MIN_READ;
  private readonly lines: Line[] = [];
  private ahead: { pos: number; buf: Buffer; read: Promise<{ bytesRead: number }> } | null = null;
  /** Wall-clock ms of the last read that returned data (or of open). */
  lastGrowth = Date.now();
  /** Set when the path no longer leads to this file (renamed away or deleted): ms when noticed. */
  detachedAt = 0;
  /** Offset of the last checkpoint handed out. */
  lastCheckpoint = -1;
  lastVerify = 0;
  /** The last read found no data (the next read verifies the file first). */
  idle = false;
  /** When an idle file is polled again without a watch event (ms). */
  nextPoll = 0;

  private constructor(
    readonly key: string,
    public target: TailTarget,
    readonly fh: FileHandle,
    readonly ino: number,
    public fp: Fingerprint,
    private readonly maxLine: number,
    private readonly fpMax: number,
    private readonly budget: AheadBudget,
  ) {
    this.split = new LineSplitter(maxLine);
    this.decoder = target.decoder();
  }

  static async open(key: string, target: TailTarget, ino: number, maxLine: number, fpMax: number, budget: AheadBudget): Promise<FileTailer> {
    const fh = await open(target.path, 'r');
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw Object.assign(new Error(`${target.path} is not a regular file`), { code: 'ENOTFILE' });
      if (st.ino !== ino) throw Object.assign(new Error(`${target.path} was replaced before it was opened`), { code: 'ENOENT' });
      const fp = await readFingerprint(fh, fpMax);
      return new FileTailer(key, target, fh, ino, fp, maxLine, fpMax, budget);
    } catch (e) {
      await fh.close().catch(() => {});
      throw e;
    }
  }

  get path(): string {
    return this.target.path;
  }

  get offset(): number {
    return this.pos;
  }

  /** Starts reading at `offset` (a checkpoint, the end, or 0). */
  /** Takes the read-ahead (if any) and returns its bytes to the budget. */
  private dropAhead(): { pos: number; buf: Buffer; read: Promise<{ bytesRead: number }> } | null {
    const a = this.ahead;
    this.ahead = null;
    if (a) this.budget.left += a.buf.length;
    return a;
  }

  seek(offset: number): void {
    this.dropAhead();
    this.pos = offset;
    this.split.reset(offset);
    this.decoder.reset();
    this.lastCheckpoint = offset;
  }

  /**
   * The offset a checkpoint may name: past every byte whose events were produced. `upTo` is the end
   * of the last line handed to the decoder when a chunk is emitted in several batches (the splitter
   * has already consumed the whole chunk, so its own position would cover lines not yet emitted).
   */
  safeOffset(upTo = this.split.consumed): number {
    const held = this.decoder.heldFrom();
    return held >= 0 ? Math.min(held, upTo) : upTo;
  }

  /**
   * Reads one chunk and decodes it. `onEvents` is called with events and the checkpoint offset after
   * every `batchSize` events and once at the end (possibly with no events). Returns bytes read.
   */
  async readChunk(maxBytes: number, batchSize: number, onEvents: (events: LogEvent[], offset: number) => Promise<void>): Promise<number> {
    let buf: Buffer;
    let bytesRead: number;
    const a = this.dropAhead();
    if (a && a.pos === this.pos) {
      buf = a.buf;
      bytesRead = (await a.read).bytesRead;
    } else {
      buf = Buffer.allocUnsafe(Math.min(this.readSize, maxBytes));
      bytesRead = (await this.fh.read(buf, 0, buf.length, this.pos)).bytesRead;
    }
    if (bytesRead === 0) return 0;
    const full = bytesRead === buf.length;
    this.readSize = full ? Math.min(this.readSize * 2, maxBytes) : Math.max(MIN_READ, this.readSize >> 1);
    this.pos += bytesRead;
    const aheadSize = Math.min(this.readSize, maxBytes);
    if (full && this.budget.left >= aheadSize) {
      // read-ahead: the next chunk is read (on the libuv pool) while this one is decoded
      this.budget.left -= aheadSize;
      const next = Buffer.allocUnsafe(aheadSize);
      const read = this.fh.read(next, 0, next.length, this.pos);
      read.catch(() => {}); // awaited (and its error seen) by the next readChunk, or dropped by seek()
      this.ahead = { pos: this.pos, buf: next, read };
    }
    this.lastGrowth = Date.now();
    if (this.fp.len < this.fpMax) this.fp = await readFingerprint(this.fh, this.fpMax);
    this.lines.length = 0;
    const start0 = this.split.consumed;
    const chunk = bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    this.split.push(chunk, this.lines);
    describeLines(chunk, this.lines);
    await this.decodeLines(start0, batchSize, onEvents);
    return bytesRead;
  }

  private ctx(): DecodeContext | null {
    const attrs = this.target.attributes();
    return attrs ? { observed: nowParts(), attrs, stats: this.stats } : null;
  }

  private async decodeLines(start0: number, batchSize: number, onEvents: (events: LogEvent[], offset: number) => Promise<void>): Promise<void> {
    const ctx = this.ctx() ?? { observed: nowParts(), attrs: {}, stats: this.stats };
    let out: LogEvent[] = [];
    let start = start0;
    for (const line of this.lines) {
      this.decoder.push(line, start, ctx, out);
      start = line.end;
      if (out.length >= batchSize) {
        const events = out;
        out = [];
        await onEvents(events, this.safeOffset(line.end));
      }
    }
    this.lines.length = 0;
    await onEvents(out, this.safeOffset());
  }

  /** Emits held data (partial last line, held multiline/partial events): the file is being closed. */
  async finish(onEvents: (events: LogEvent[], offset: number) => Promise<void>): Promise<void> {
    this.lines.length = 0;
    const start0 = this.split.consumed;
    this.split.flush(this.lines);
    const ctx = this.ctx() ?? { observed: nowParts(), attrs: {}, stats: this.stats };
    const out: LogEvent[] = [];
    let start = start0;
    for (const line of this.lines) {
      this.decoder.push(line, start, ctx, out);
      start = line.end;
    }
    this.lines.length = 0;
    this.decoder.flush(ctx, out);
    await onEvents(out, this.pos);
  }

  /** Emits held decoder data after a timeout (multiline); the partial line in the splitter stays. */
  async flushHeld(onEvents: (events: LogEvent[], offset: number) => Promise<void>): Promise<void> {
    const ctx = this.ctx() ?? { observed: nowParts(), attrs: {}, stats: this.stats };
    const out: LogEvent[] = [];
    this.decoder.flush(ctx, out);
    await onEvents(out, this.safeOffset());
  }

  /** Whether the open file was truncated (size below our position) or its first bytes replaced. */
  async checkContent(): Promise<ChangeKind> {
    this.lastVerify = Date.now();
    const st = await this.fh.stat();
    if (st.size < this.pos) return 'truncated';
    if (!(await fingerprintMatches(this.fh, this.fp))) return 'replaced';
    return 'none';
  }

  /** After truncation: start over at 0 with a new fingerprint. */
  async restart(): Promise<void> {
    this.fp = await readFingerprint(this.fh, this.fpMax);
    this.seek(0);
  }

  /** Whether the configured path still leads to this file. */
  async pathIsOurs(): Promise<boolean> {
    try {
      const st = await stat(this.target.path);
      return st.ino === this.ino;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    const a = this.dropAhead();
    await a?.read.catch(() => {});
    await this.fh.close().catch(() => {});
  }

  /** Bytes held in memory for this file (partial line). */
  get buffered(): number {
    return this.split.buffered;
  }

  get maxLineBytes(): number {
    return this.maxLine;
  }
}
