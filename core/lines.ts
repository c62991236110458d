// Splits a byte stream into lines with Buffer.indexOf on large chunks (no readline, no per-chunk
// strings). Lines longer than maxLineBytes are cut into pieces flagged `truncated`; a trailing
// partial line waits for the next chunk (or flush()).

export interface Line {
  bytes: Buffer;
  /** True for every piece of a line that was longer than maxLineBytes. */
  truncated: boolean;
}

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private inLongLine = false;

  constructor(private readonly maxLineBytes = 1024 * 1024) {}

  /** Bytes held waiting for a newline. */
  get buffered(): number {
    return this.pendingLen;
  }

  /** Feeds a chunk; returns the complete lines in it (without '\n', a trailing '\r' kept off too). */
  push(chunk: Buffer, out: Line[] = []): Line[] {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        this.hold(chunk.subarray(start), out);
        break;
      }
      let piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.pendingLen > 0) {
        this.pending.push(piece);
        piece = Buffer.concat(this.pending, this.pendingLen + piece.length);
        this.pending = [];
        this.pendingLen = 0;
      }
      this.emit(piece, out, true);
    }
    return out;
  }

  /** Emits a held partial line (end of input, or a flush timeout). */
  flush(out: Line[] = []): Line[] {
    if (this.pendingLen > 0) {
      const piece = Buffer.concat(this.pending, this.pendingLen);
      this.pending = [];
      this.pendingLen = 0;
      this.emit(piece, out, true);
    }
    return out;
  }

  private hold(rest: Buffer, out: Line[]): void {
    this.pending.push(rest);
    this.pendingLen += rest.length;
    // a line past the cap is cut now, so memory stays bounded by maxLineBytes
    while (this.pendingLen >= this.maxLineBytes) {
      const all = Buffer.concat(this.pending, this.pendingLen);
      out.push({ bytes: all.subarray(0, this.maxLineBytes), truncated: true });
      this.inLongLine = true;
      const left = all.subarray(this.maxLineBytes);
      this.pending = left.length ? [left] : [];
      this.pendingLen = left.length;
    }
  }

  private emit(piece: Buffer, out: Line[], endsLine: boolean): void {
    if (piece.length > 0 && piece[piece.length - 1] === 13) piece = piece.subarray(0, piece.length - 1);
    let truncated = this.inLongLine;
    while (piece.length > this.maxLineBytes) {
      out.push({ bytes: piece.subarray(0, this.maxLineBytes), truncated: true });
      piece = piece.subarray(this.maxLineBytes);
      truncated = true;
    }
    if (piece.length > 0 || !truncated) out.push({ bytes: piece, truncated });
    if (endsLine) this.inLongLine = false;
  }
}
