// File identity: device + inode, plus a hash of the first `fingerprint_bytes` bytes so a reused
// inode (a deleted file's inode given to a new file) is told apart from the file it once was.
//
// Rule for files shorter than N bytes: the fingerprint covers the bytes that exist (its length is
// stored with it) and grows as the file does, up to N. Two fingerprints are compared over the stored
// length only, so a short file is recognised as long as its first bytes are unchanged. An empty
// file has an empty fingerprint, which matches any file (only dev+inode identify it then).
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

export interface Fingerprint {
  /** Bytes hashed (0..N). */
  len: number;
  /** sha256 of those bytes, first 16 hex digits ('' when len is 0). */
  hash: string;
}

export function identityKey(dev: number | bigint, ino: number | bigint): string {
  return `${dev}:${ino}`;
}

export function hashBytes(b: Uint8Array): string {
  return b.length === 0 ? '' : createHash('sha256').update(b).digest('hex').slice(0, 16);
}

/** Reads and hashes the first min(max, size) bytes of an open file. */
export async function readFingerprint(fh: FileHandle, max: number): Promise<Fingerprint> {
  const buf = Buffer.allocUnsafe(max);
  let len = 0;
  while (len < max) {
    const { bytesRead } = await fh.read(buf, len, max - len, len);
    if (bytesRead === 0) break;
    len += bytesRead;
  }
  return { len, hash: hashBytes(buf.subarray(0, len)) };
}

/** Whether the file's first `fp.len` bytes still hash to `fp.hash`. */
export async function fingerprintMatches(fh: FileHandle, fp: Fingerprint): Promise<boolean> {
  if (fp.len === 0) return true;
  const now = await readFingerprint(fh, fp.len);
  return now.len === fp.len && now.hash === fp.hash;
}
