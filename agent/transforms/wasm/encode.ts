// Encodes a batch of LogEvents into the ABI v1 record layout (abi.ts) in one reusable buffer. Only
// the parts the module declared it needs (flowlog_needs) are written: a module that only tests the
// body never pays for attribute encoding.
import type { LogEvent } from '../../../core/event.js';
import { NEEDS_ATTRIBUTES, NEEDS_BODY, T_BOOL, T_NUMBER, T_STRING } from './abi.js';
import { utf8Write } from './utf8-write.js';


export interface EncodedBatch {
  /** The encoded records: bytes [0, length) of `buf`. */
  buf: Buffer;
  length: number;
  /** Start offset of each record (its u32 length field). */
  offsets: Int32Array;
  count: number;
}

export class BatchEncoder {
  private buf = Buffer.allocUnsafe(1 << 20);
  private offsets = new Int32Array(4096);

  private ensure(need: number, used: number): void {
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, used);
    this.buf = next;
  }

  encode(events: readonly LogEvent[], needs: number): EncodedBatch {
    const n = events.length;
    if (this.offsets.length < n) this.offsets = new Int32Array(Math.max(n, this.offsets.length * 2));
    const offsets = this.offsets;
    const withBody = (needs & NEEDS_BODY) !== 0;
    const withAttrs = (needs & NEEDS_ATTRIBUTES) !== 0;
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const e = events[i]!;
      const body = withBody ? e.body : '';
      this.ensure(pos + 12 + body.length * 3, pos);
      let buf = this.buf;
      const start = pos;
      offsets[i] = start;
      buf[start + 4] = e.severityNumber > 0 && e.severityNumber < 256 ? e.severityNumber : 0;
      buf[start + 5] = 0;
      const bodyLen = body.length === 0 ? 0 : utf8Write.call(buf, body, start + 12);
      buf.writeUInt32LE(bodyLen, start + 8);
      pos = start + 12 + bodyLen;
      let attrCount = 0;
      if (withAttrs) {
        const attrs = e.attributes;
        for (const k in attrs) {
          const v = attrs[k]!;
          let t = T_STRING;
          let s: string;
          if (typeof v === 'string') s = v;
          else if (typeof v === 'number') {
            t = T_NUMBER;
            s = String(v);
          } else {
            t = T_BOOL;
            s = v ? 'true' : 'false';
          }
          if (k.length > 16_000) continue; // not encodable (u16 key length); the host keeps it untouched
          this.ensure(pos + 7 + (k.length + s.length) * 3, pos);
          buf = this.buf;
          const kl = utf8Write.call(buf, k, pos + 2);
          buf.writeUInt16LE(kl, pos);
          pos += 2 + kl;
          buf[pos] = t;
          const vl = s.length === 0 ? 0 : utf8Write.call(buf, s, pos + 5);
          buf.writeUInt32LE(vl, pos + 1);
          pos += 5 + vl;
          attrCount++;
        }
      }
      buf.writeUInt16LE(attrCount, start + 6);
      buf.writeUInt32LE(pos - start - 4, start);
    }
    return { buf: this.buf, length: pos, offsets, count: n };
  }
}
