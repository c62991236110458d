// Splits a byte stream into lines with Buffer.indexOf on large chunks (no readline, no per-chunk
// strings). Lines longer than maxLineBytes are cut into pieces flagged `truncated`; a trailing
// partial line waits for the next chunk (or flush()). Every piece carries `end`, the stream offset
// just past it (past its '\n' for a whole line), so a reader can checkpoint exactly after it.

export interface Line {
  bytes: Buffer;
  /** True for every piece of a line that was longer than maxLineBytes. */
  truncated: boolean;
  /** Stream offset (bytes pushed since construction or reset(start)) just past this piece. */
  end: number;
  /** True for the second and later pieces of a cut line (they do not start a line). */
  cont?: boolean;
  /** The bytes as text, when the reader decoded its whole chunk at once (pure ASCII). */
  text?: string;
  /** True when the bytes hold nothing a JSON string must escape ('"', '\\', controls). */
  jsonSafe?: boolean;
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
      let piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.pendingLen > 0) {
        this.pending.push(piece);
        piece = Buffer.concat(this.pending, this.pendingLen + piece.length);
        this.pending = [];
        this.pendingLen = 0;
      }
      this.emit(piece, out, base + nl + 1, 1);
    }
    return out;
  }

  /** Emits a held partial line (end of input, or a flush timeout). */
  flush(out: Line[] = []): Line[] {
    if (this.pendingLen > 0) {
      const piece = Buffer.concat(this.pending, this.pendingLen);
      this.pending = [];
      this.pendingLen = 0;
      this.emit(piece, out, this.pos, 0);
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
      out.push({ bytes: all.subarray(0, this.maxLineBytes), truncated: true, end, cont: this.inLongLine, text: undefined, jsonSafe: false });
      this.inLongLine = true;
      const left = all.subarray(this.maxLineBytes);
      this.pending = left.length ? [left] : [];
      this.pendingLen = left.length;
    }
  }

  /** `end` is the offset past the line terminator, `termLen` its length (1 for '\n', 0 at flush). */
  private emit(piece: Buffer, out: Line[], end: number, termLen: number): void {
    let cr = 0;
    if (piece.length > 0 && piece[piece.length - 1] === 13) {
      piece = piece.subarray(0, piece.length - 1);
      cr = 1;
    }
    let truncated = this.inLongLine;
    let cont = this.inLongLine;
    let pieceStart = end - termLen - cr - piece.length;
    while (piece.length > this.maxLineBytes) {
      pieceStart += this.maxLineBytes;
      out.push({ bytes: piece.subarray(0, this.maxLineBytes), truncated: true, end: pieceStart, cont, text: undefined, jsonSafe: false });
      piece = piece.subarray(this.maxLineBytes);
      truncated = true;
      cont = true;
    }
    if (piece.length > 0 || !truncated) out.push({ bytes: piece, truncated, end, cont, text: undefined, jsonSafe: false }); // one shape: fields filled later stay in-object
    else if (out.length > 0 && out[out.length - 1]!.end === pieceStart) out[out.length - 1]!.end = end;
    this.inLongLine = false;
  }
}
