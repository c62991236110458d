// Splits a byte stream into lines with Buffer.indexOf on large chunks (no readline, no per-chunk
// strings). Lines longer than maxLineBytes are cut into pieces flagged `truncated`; a trailing
// partial line waits for the next chunk (or flush()). Every piece carries `end`, the stream offset
// just past it (past its '\n' for a whole line), so a reader can checkpoint exactly after it.

/**
 * One line (or piece of a cut line): bytes [start, start + len) of `buf`, which is the chunk pushed
 * or a buffer assembled across chunks. No view per line is made unless `bytes` is read: readers
 * that know the chunk (the file tailer) work from the offsets (a view cost ~40 ns a line, measured).
 */
export class Line {
  /** The bytes as text, when the reader decoded its chunk at once (pure ASCII). */
  text: string | undefined = undefined;
  /** True when the bytes hold nothing a JSON string must escape ('"', '\\', controls). */
  jsonSafe = false;
  private view: Buffer | null = null;
  constructor(
    readonly buf: Buffer,
    readonly start: number,
    readonly len: number,
    /** True for every piece of a line that was longer than maxLineBytes. */
    readonly truncated: boolean,
    /** Stream offset (bytes pushed since construction or reset(start)) just past this piece. */
    public end: number,
    /** True for the second and later pieces of a cut line (they do not start a line). */
    readonly cont: boolean,
  ) {}

  /** The line's bytes: a view into `buf`, made on first use. */
  get bytes(): Buffer {
    return (this.view ??= this.start === 0 && this.len === this.buf.length ? this.buf : this.buf.subarray(this.start, this.start + this.len));
  }
}

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private inLongLine = false;
  /** Stream offset just past the last byte pushed. */
  private pos = 0;

  constructor(private readonly maxLineBytes = 1024 * 1024) {}

  /** Bytes held waiting for a newline. */
  get buffered(): number {
    return this.pendingLen;
  }

  /** Stream offset up to which every byte was emitted (or was a newline ending an emitted line). */
  get consumed(): number {
    return this.pos - this.pendingLen;
  }

  /** Drops held bytes and restarts the offsets at `start` (a reader seeking, a truncated file). */
  reset(start = 0): void {
    this.pending = [];
    this.pendingLen = 0;
    this.inLongLine = false;
    this.pos = start;
  }

  /** Feeds a chunk; returns the complete lines in it (without '\n', a trailing '\r' kept off too). */
  push(chunk: Buffer, out: Line[] = []): Line[] {
    const base = this.pos;
    this.pos += chunk.length;
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        this.hold(chunk.subarray(start), out);
        break;
      }
      if (this.pendingLen > 0) {
        this.pending.push(chunk.subarray(start, nl));
        const whole = Buffer.concat(this.pending, this.pendingLen + nl - start);
        this.pending = [];
        this.pendingLen = 0;
        this.emit(whole, 0, whole.length, out, base + nl + 1, 1);
      } else this.emit(chunk, start, nl - start, out, base + nl + 1, 1);
      start = nl + 1;
    }
    return out;
  }

  /** Emits a held partial line (end of input, or a flush timeout). */
  flush(out: Line[] = []): Line[] {
    if (this.pendingLen > 0) {
      const piece = Buffer.concat(this.pending, this.pendingLen);
      this.pending = [];
      this.pendingLen = 0;
      this.emit(piece, 0, piece.length, out, this.pos, 0);
    }
    return out;
  }

  private hold(rest: Buffer, out: Line[]): void {
    // a short tail is copied so it does not pin the (large) chunk it was cut from
    this.pending.push(rest.length <= 65536 ? Buffer.from(rest) : rest);
    this.pendingLen += rest.length;
    // a line past the cap is cut now, so memory stays bounded by maxLineBytes
    while (this.pendingLen >= this.maxLineBytes) {
      const all = Buffer.concat(this.pending, this.pendingLen);
      const end = this.pos - this.pendingLen + this.maxLineBytes;
      out.push(new Line(all, 0, this.maxLineBytes, true, end, this.inLongLine));
      this.inLongLine = true;
      const left = all.subarray(this.maxLineBytes);
      this.pending = left.length ? [left] : [];
      this.pendingLen = left.length;
    }
  }

  /** The line [s, s + len) of buf; `end` is the offset past its terminator, `termLen` that terminator's length (1 for '\n', 0 at flush). */
  private emit(buf: Buffer, s: number, len: number, out: Line[], end: number, termLen: number): void {
    let cr = 0;
    if (len > 0 && buf[s + len - 1] === 13) {
      len--;
      cr = 1;
    }
    let truncated = this.inLongLine;
    let cont = this.inLongLine;
    let pieceStart = end - termLen - cr - len;
    while (len > this.maxLineBytes) {
      pieceStart += this.maxLineBytes;
      out.push(new Line(buf, s, this.maxLineBytes, true, pieceStart, cont));
      s += this.maxLineBytes;
      len -= this.maxLineBytes;
      truncated = true;
      cont = true;
    }
    if (len > 0 || !truncated) out.push(new Line(buf, s, len, truncated, end, cont));
    else if (out.length > 0 && out[out.length - 1]!.end === pieceStart) out[out.length - 1]!.end = end;
    this.inLongLine = false;
  }
}
