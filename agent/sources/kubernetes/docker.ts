// Docker json-file lines: {"log":"text\n","stream":"stdout","time":"2026-01-02T03:04:05.123456789Z"}.
// An entry whose `log` does not end in "\n" is a partial line (Docker splits lines at 16 KiB).
import { parseRfc3339 } from '../../../core/event.js';
import { decodeUtf8 } from '../../../core/utf8.js';

export interface DockerEntry {
  log: Buffer;
  stream: string;
  partial: boolean;
  timeMs: number;
  timeNs: number;
  /** The line had invalid UTF-8 (replaced with U+FFFD before JSON parsing). */
  invalid: boolean;
}

/** Decodes one line; returns the reason as a string when it is not a valid entry. */
export function decodeDockerLine(bytes: Buffer): DockerEntry | string {
  let v: unknown;
  const { text: json, invalid } = decodeUtf8(bytes);
  try {
    v = JSON.parse(json);
  } catch {
    return 'Docker json-file line is not valid JSON (cut mid-object?)';
  }
  if (typeof v !== 'object' || v === null) return 'Docker json-file line is not an object';
  const o = v as { log?: unknown; stream?: unknown; time?: unknown };
  if (typeof o.log !== 'string' || typeof o.time !== 'string') return 'Docker json-file line lacks "log" or "time"';
  const ts = parseRfc3339(o.time);
  if (!ts) return 'Docker json-file "time" is not RFC 3339';
  const stream = o.stream === 'stderr' ? 'stderr' : 'stdout';
  const partial = !o.log.endsWith('\n');
  let text = partial ? o.log : o.log.slice(0, -1);
  if (!partial && text.endsWith('\r')) text = text.slice(0, -1);
  return { log: Buffer.from(text, 'utf8'), stream, partial, timeMs: ts[0], timeNs: ts[1], invalid };
}
