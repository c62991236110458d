// Checkpoint values of the tailing sources. key = "<dev>:<ino>" (the file identity without the
// fingerprint, so a file keeps its key while its fingerprint grows); value = JSON
// {"o": offset just past the last byte emitted, "fl": fingerprint length, "fp": fingerprint hash,
//  "p": path when written}. The fingerprint in the value is checked before a position is reused.
import type { Fingerprint } from './fingerprint.js';

export interface FilePosition {
  offset: number;
  fp: Fingerprint;
  path: string;
}

export function encodePosition(p: FilePosition): string {
  return JSON.stringify({ o: p.offset, fl: p.fp.len, fp: p.fp.hash, p: p.path });
}

/** Parses a stored value; null when it is not one of ours (logged and ignored by the caller). */
export function decodePosition(value: string): FilePosition | null {
  try {
    const v = JSON.parse(value) as { o?: unknown; fl?: unknown; fp?: unknown; p?: unknown };
    if (typeof v.o !== 'number' || !Number.isSafeInteger(v.o) || v.o < 0) return null;
    if (typeof v.fl !== 'number' || typeof v.fp !== 'string' || typeof v.p !== 'string') return null;
    return { offset: v.o, fp: { len: v.fl, hash: v.fp }, path: v.p };
  } catch {
    return null;
  }
}

/** Parses "<dev>:<ino>" back into its parts (null when malformed). */
export function parseKey(key: string): { dev: string; ino: string } | null {
  const m = /^(\d+):(\d+)$/.exec(key);
  return m ? { dev: m[1]!, ino: m[2]! } : null;
}
