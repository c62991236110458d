// Cuts an NDJSON spool payload into Kafka message values without parsing JSON: `single` makes one
// message per line, `newline_delimited` packs up to N lines (and at most maxBytes) into one value.
// Values are views into the payload (no copies). A single line over maxBytes is reported as oversized.

export interface FramedValue {
  value: Buffer;
  /** Events in this value. */
  count: number;
}

export interface FramingOptions {
  method: 'single' | 'newline_delimited';
  eventsPerMessage: number;
  /** Largest value accepted; a longer single event goes to `oversized`. */
  maxBytes: number;
}

export function frame(payload: Buffer, opts: FramingOptions, out: FramedValue[], oversized: Buffer[]): void {
  const per = opts.method === 'single' ? 1 : opts.eventsPerMessage;
  let start = 0; // start of the current message
  let lines = 0;
  let pos = 0;
  const n = payload.length;
  while (pos < n) {
    let nl = payload.indexOf(10, pos);
    if (nl < 0) nl = n; // tolerate a payload without a final newline
    const lineStart = pos;
    // would adding this line overflow the current message? close it first
    if (lines > 0 && nl - start > opts.maxBytes) {
      out.push({ value: payload.subarray(start, lineStart - 1), count: lines });
      start = lineStart;
      lines = 0;
    }
    pos = nl + 1;
    if (nl === lineStart) {
      // empty line: not an event
      if (lines === 0) start = pos;
      continue;
    }
    if (lines === 0 && nl - lineStart > opts.maxBytes) {
      oversized.push(payload.subarray(lineStart, nl));
      start = pos;
      continue;
    }
    lines++;
    if (lines >= per) {
      out.push({ value: payload.subarray(start, nl), count: lines });
      start = pos;
      lines = 0;
    }
  }
  if (lines > 0) {
    let end = n;
    if (payload[end - 1] === 10) end--;
    out.push({ value: payload.subarray(start, end), count: lines });
  }
}
