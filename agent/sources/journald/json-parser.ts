// Parser for `journalctl -o json --all` (one JSON object per line). A field whose value is not
// printable UTF-8 comes as an array of byte values; a field that occurs several times comes as an
// array of its values (each a string or a byte array). Kept for the export-vs-json measurement in
// bench/journald.ts; the source reads the export format, which measured faster end to end.
import { FlowlogError } from '../../../core/errors.js';
import { LineSplitter } from '../../../core/lines.js';
import type { EntryReceiver } from './mapping.js';

export class JsonParser {
  private readonly lines = new LineSplitter(1024 * 1024 * 1024);

  constructor(private readonly rx: EntryReceiver) {}

  push(chunk: Buffer): void {
    for (const l of this.lines.push(chunk)) this.line(l.bytes);
  }

  private line(bytes: Buffer): void {
    if (bytes.length === 0) return;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new FlowlogError('SOURCE_PARSE', 'journal json stream: a line is not JSON', { cause: e });
    }
    const rx = this.rx;
    for (const name in obj) {
      const v = obj[name];
      if (typeof v === 'string') rx.field(name, v);
      else if (Array.isArray(v)) {
        if (v.length === 0 || typeof v[0] === 'number') rx.field(name, Buffer.from(v as number[]));
        else for (const item of v) rx.field(name, typeof item === 'string' ? item : Buffer.from(item as number[]));
      } else if (v === null) {
        // journalctl without --all prints large fields as null; the value is unknown
        continue;
      } else rx.field(name, String(v));
    }
    rx.end();
  }
}
