// Streaming parser for the journal export format (what `journalctl -o export` writes):
//   KEY=value\n                       text field (journalctl uses it for printable UTF-8 only)
//   KEY\n<u64 little-endian length><bytes>\n   any other value (binary, newlines, invalid UTF-8)
//   \n                                end of an entry
// Chunks may split anything anywhere; partial input waits for the next chunk without re-scanning
// from the start of a large value.
import { isAscii } from 'node:buffer';
import { FlowlogError } from '../../../core/errors.js';
import type { EntryReceiver } from './mapping.js';

/** Refuse a binary length larger than this: it can only be a corrupt stream. */
export const MAX_FIELD_BYTES = 512 * 1024 * 1024;

/** Node's undocumented but stable fast slice methods (Buffer#toString adds argument checks). */
interface FastSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

const NAME_TABLE_SIZE = 1024;

/** Whether s[at, at + name.length) equals name. */
function sameAt(s: string, at: number, name: string): boolean {
  for (let k = 0; k < name.length; k++) if (s.charCodeAt(at + k) !== name.charCodeAt(k)) return false;
  return true;
}

function hasHighBytes(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (s.charCodeAt(i) > 127) return true;
  return false;
}

export class ExportParser {
  /** Unparsed bytes carried over from earlier chunks. */
  private held: Buffer[] = [];
  private heldLen = 0;
  /** Bytes needed (from the start of the held data) before parsing can make progress. */
  private need = 0;
  /** Fields seen in the current, unfinished entry. */
  private fieldsInEntry = 0;
  /**
   * Field names seen so far, by a hash of their bytes. A journal repeats a few dozen names millions
   * of times: reusing one string per name saves a substring per field and lets the mapping's lookups
   * use the string's cached hash.
   */
  private readonly names: (string | undefined)[] = new Array<string | undefined>(NAME_TABLE_SIZE).fill(undefined);

  constructor(private readonly rx: EntryReceiver) {}

  /** Bytes waiting for the rest of a field. */
  get buffered(): number {
    return this.heldLen;
  }

  /** Whether an entry has started but not ended. */
  get inEntry(): boolean {
    return this.fieldsInEntry > 0 || this.heldLen > 0;
  }

  push(chunk: Buffer): void {
    if (this.heldLen > 0) {
      this.held.push(chunk);
      this.heldLen += chunk.length;
      if (this.heldLen < this.need) return;
      chunk = Buffer.concat(this.held, this.heldLen);
      this.held = [];
      this.heldLen = 0;
    }
    const rest = this.parse(chunk);
    if (rest < chunk.length) {
      // a view, not a copy: it is concatenated with the next chunk anyway
      const tail = chunk.subarray(rest);
      this.held.push(tail);
      this.heldLen = tail.length;
    }
  }

  /**
   * Parses complete fields; returns the offset of the first byte not consumed.
   * The chunk is decoded to one latin1 string first (one native call per chunk, byte offsets equal
   * character offsets), so names and ASCII values are cheap substrings of it; a value with bytes
   * >= 0x80 is decoded as UTF-8 from the buffer at the same offsets.
   */
  private parse(buf: Buffer): number {
    const len = buf.length;
    const fast = buf as unknown as FastSlices;
    const s = fast.latin1Slice(0, len);
    const ascii = isAscii(buf);
    const rx = this.rx;
    let pos = 0;
    while (pos < len) {
      const c0 = s.charCodeAt(pos);
      if (c0 === 10) {
        // blank line: end of entry
        pos++;
        if (this.fieldsInEntry > 0) {
          this.fieldsInEntry = 0;
          rx.end();
        }
        continue;
      }
      // field name: up to '=' (text form) or '\n' (binary form)
      let i = pos;
      let c = c0;
      let h = 0;
      while (c !== 61 && c !== 10) {
        h = (Math.imul(h, 31) + c) | 0;
        if (++i >= len) {
          this.need = len - pos + 1;
          return pos;
        }
        c = s.charCodeAt(i);
      }
      if (i - pos > 256) throw new FlowlogError('SOURCE_PARSE', `journal export stream: field name longer than 256 bytes at byte ${pos}`);
      const slot = (h ^ (h >>> 10)) & (NAME_TABLE_SIZE - 1);
      let name = this.names[slot];
      if (name === undefined || name.length !== i - pos || !sameAt(s, pos, name)) this.names[slot] = name = s.slice(pos, i);
      if (c === 61) {
        const nl = s.indexOf('\n', i + 1);
        if (nl < 0) {
          this.need = len - pos + 1;
          return pos;
        }
        rx.field(name, ascii || !hasHighBytes(s, i + 1, nl) ? s.slice(i + 1, nl) : fast.utf8Slice(i + 1, nl));
        pos = nl + 1;
      } else {
        const start = i + 9;
        if (start > len) {
          this.need = start - pos;
          return pos;
        }
        const n = buf.readUInt32LE(i + 1) + buf.readUInt32LE(i + 5) * 0x1_0000_0000;
        if (n > MAX_FIELD_BYTES) throw new FlowlogError('SOURCE_PARSE', `journal export stream: field ${name} claims ${n} bytes`);
        const end = start + n;
        if (end + 1 > len) {
          this.need = end + 1 - pos;
          return pos;
        }
        if (buf[end] !== 10) throw new FlowlogError('SOURCE_PARSE', `journal export stream: field ${name} is not followed by a newline`);
        rx.field(name, buf.subarray(start, end));
        pos = end + 1;
      }
      this.fieldsInEntry++;
    }
    this.need = 0;
    return pos;
  }

  /** Forgets a partial entry (after the producing process ended mid-entry). */
  reset(): void {
    this.held = [];
    this.heldLen = 0;
    this.need = 0;
    this.fieldsInEntry = 0;
  }
}
