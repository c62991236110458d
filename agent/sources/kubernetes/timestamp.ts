// Fast RFC 3339 parsing straight from the bytes of a CRI line ("2026-11-24T16:26:08.123456789Z"),
// without building strings: the date part is cached (lines of a file share it for hours), the rest
// is digit arithmetic. Anything unusual falls back to core/event.ts parseRfc3339.
import { parseRfc3339 } from '../../../core/event.js';

let cachedDate = '';
let cachedDayMs = 0;

const d2 = (b: Buffer, i: number) => (b[i]! - 48) * 10 + (b[i + 1]! - 48);
const isDigit = (c: number | undefined) => c !== undefined && c >= 48 && c <= 57;

/** [ms, ns-within-ms] of the timestamp in b[0..end), or null when it is not RFC 3339. */
export function parseTimestampBytes(b: Buffer, end: number): [number, number] | null {
  // fixed part: YYYY-MM-DDTHH:MM:SS
  if (end < 20 || b[4] !== 45 || b[7] !== 45 || (b[10] !== 84 && b[10] !== 116 && b[10] !== 32) || b[13] !== 58 || b[16] !== 58) return slow(b, end);
  for (const i of [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]) if (!isDigit(b[i])) return null;
  const date = b.toString('latin1', 0, 10);
  if (date !== cachedDate) {
    const ms = Date.parse(date + 'T00:00:00Z');
    if (Number.isNaN(ms)) return null;
    cachedDate = date;
    cachedDayMs = ms;
  }
  const hh = d2(b, 11);
  const mm = d2(b, 14);
  const ss = d2(b, 17);
  if (hh > 23 || mm > 59 || ss > 60) return null;
  let i = 19;
  let fracMs = 0;
  let ns = 0;
  if (b[i] === 46) {
    i++;
    let digits = 0;
    let frac = 0;
    while (i < end && isDigit(b[i])) {
      if (digits < 9) {
        frac = frac * 10 + (b[i]! - 48);
        digits++;
      }
      i++;
    }
    if (digits === 0) return null;
    for (let k = digits; k < 9; k++) frac *= 10;
    fracMs = Math.floor(frac / 1e6);
    ns = frac % 1e6;
  }
  let offsetMs = 0;
  if (i === end - 1 && (b[i] === 90 || b[i] === 122)) {
    // Z
  } else if (i === end - 6 && (b[i] === 43 || b[i] === 45) && b[i + 3] === 58 && isDigit(b[i + 1]) && isDigit(b[i + 2]) && isDigit(b[i + 4]) && isDigit(b[i + 5])) {
    offsetMs = (d2(b, i + 1) * 60 + d2(b, i + 4)) * 60_000 * (b[i] === 43 ? 1 : -1);
  } else return null;
  return [cachedDayMs + ((hh * 60 + mm) * 60 + ss) * 1000 + fracMs - offsetMs, ns];
}

function slow(b: Buffer, end: number): [number, number] | null {
  return parseRfc3339(b.toString('latin1', 0, end));
}
