// Byte-level reading and writing of the WebAssembly binary format (LEB128 integers, vectors), for
// the loop meter and abi.ts's import scan. Reads are bounds-checked: a malformed module is refused, never misread.

/** The rewriter does not know something in the module (or it is malformed): it runs unmetered. */
export class MeterRefused extends Error {}

export class Reader {
  pos: number;
  constructor(
    readonly b: Uint8Array,
    pos = 0,
    readonly end = b.length,
  ) {
    this.pos = pos;
  }
  byte(): number {
    if (this.pos >= this.end) throw new MeterRefused(`unexpected end at byte ${this.pos}`);
    return this.b[this.pos++]!;
  }
  /** Unsigned LEB128, up to 32 bits. */
  u32(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 5; i++) {
      const x = this.byte();
      result += (x & 0x7f) * mul;
      if ((x & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new MeterRefused(`LEB128 longer than 5 bytes at byte ${this.pos}`);
  }
  /** Signed LEB128 (up to 64 bits), returned as its sign only: -1 when negative, else 0 or more. */
  signed(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const x = this.byte();
      result += (x & 0x7f) * mul;
      mul *= 128;
      if ((x & 0x80) === 0) return (x & 0x40) !== 0 ? -1 : result;
    }
    throw new MeterRefused(`LEB128 longer than 10 bytes at byte ${this.pos}`);
  }
  skip(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw new MeterRefused(`unexpected end at byte ${this.pos}`);
    this.pos += n;
  }
  /** A name (u32 length + UTF-8 bytes), skipped. */
  skipName(): void {
    this.skip(this.u32());
  }
}

export class Writer {
  private buf = new Uint8Array(4096);
  len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(x: number): void {
    this.room(1);
    this.buf[this.len++] = x;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  u32(v: number): void {
    this.room(5);
    do {
      let x = v % 128;
      v = Math.floor(v / 128);
      if (v !== 0) x |= 0x80;
      this.buf[this.len++] = x;
    } while (v !== 0);
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** The section payload `body`, framed with its id and size. */
export function section(w: Writer, id: number, body: Uint8Array): void {
  w.byte(id);
  w.u32(body.length);
  w.bytes(body);
}
