// Text out of the edit region a module wrote: attribute keys through a cache by their bytes, values
// as substrings of the region read as Latin-1 (a window at a time) where ASCII, else as UTF-8.

/**
 * UTF-8 text of bytes [start, end). Buffer#utf8Slice directly: the edit region is read in many short
 * pieces (a key, a value), and toString's argument handling cost as much as the decoding.
 */
export const utf8 = (b: Buffer, start: number, end: number): string => (b as Buffer & { utf8Slice(s: number, e: number): string }).utf8Slice(start, end);

/**
 * Attribute keys of edits, by their bytes: the same few keys come back in every record of a batch
 * (parse_json, set, route), and a cached key is one short byte compare instead of decoding a new
 * string. 256 slots in pairs by FNV-1a hash, so two keys of a batch that share a hash do not evict
 * each other on every record (a miss costs a decode, never a wrong key: the bytes are compared in
 * full); the cached bytes live in one flat array.
 */
const KEY_SLOTS = 256;
const MAX_CACHED_KEY = 64;
const keyLen = new Int32Array(KEY_SLOTS).fill(-1);
const keyBytes = new Uint8Array(KEY_SLOTS * MAX_CACHED_KEY);
const keyText: string[] = new Array<string>(KEY_SLOTS).fill('');
/** Per pair: which of its two slots the next new key replaces. */
const keyNext = new Uint8Array(KEY_SLOTS >> 1);

function cachedAt(slot: number, b: Uint8Array, start: number, len: number): boolean {
  if (keyLen[slot] !== len) return false;
  const base = slot * MAX_CACHED_KEY;
  let i = 0;
  while (i < len && keyBytes[base + i] === b[start + i]) i++;
  return i === len;
}

/** Per slot, the slot of the key that came after it last time (-1: none), and the last key's slot:
 *  the records of a batch set their keys in the same order, so that slot is tried before hashing. */
const keyFollow = new Int16Array(KEY_SLOTS).fill(-1);
let keyPrev = 0;

export function keyOf(b: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len > MAX_CACHED_KEY) return utf8(b, start, end);
  const guess = keyFollow[keyPrev]!;
  if (guess >= 0 && cachedAt(guess, b, start, len)) {
    keyPrev = guess;
    return keyText[guess]!;
  }
  const slot = keySlot(b, start, end, len);
  keyFollow[keyPrev] = slot;
  keyPrev = slot;
  return keyText[slot]!;
}

/** The slot that holds the key [start, end); on a miss it is filled. */
function keySlot(b: Buffer, start: number, end: number, len: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  const pair = (h >>> 24) & ((KEY_SLOTS >> 1) - 1);
  const s0 = pair << 1;
  if (cachedAt(s0, b, start, len)) return s0;
  if (cachedAt(s0 + 1, b, start, len)) return s0 + 1;
  const slot = s0 + keyNext[pair]!;
  keyNext[pair] = keyNext[pair]! ^ 1;
  keyBytes.set(b.subarray(start, end), slot * MAX_CACHED_KEY);
  keyLen[slot] = len;
  keyText[slot] = utf8(b, start, end);
  return slot;
}

/** Pieces of the edit region up to this many bytes are cut from the region's text when ASCII. */
const SHORT_PIECE = 48;
/** The region is read as text in windows of this many bytes (plus SHORT_PIECE of overlap): V8
 *  allocates strings over 128 KiB in its large-object space, which costs ~20x more per byte. */
const WINDOW = 64 * 1024 - SHORT_PIECE;

/**
 * The text of the edit region's pieces (keys, values). The region is binary (record indices,
 * lengths), so it is read as Latin-1, one character per byte, a window at a time and only where
 * pieces are cut, and a short piece whose bytes are all ASCII is a substring of its window: no call
 * into C++ per value. V8 copies substrings under 13 characters and slices longer ones, which keep
 * their window's string (64 KiB) alive while they live. Other pieces are decoded as UTF-8.
 */
export class RegionText {
  private window = -1;
  private text = '';
  private base = 0;
  constructor(private readonly b: Buffer) {}
  get(start: number, end: number): string {
    const b = this.b;
    if (end - start > SHORT_PIECE) return utf8(b, start, end);
    for (let i = start; i < end; i++) if (b[i]! >= 0x80) return utf8(b, start, end);
    const w = (start / WINDOW) | 0;
    if (w !== this.window) {
      this.window = w;
      this.base = w * WINDOW;
      this.text = (b as Buffer & { latin1Slice(s: number, e: number): string }).latin1Slice(this.base, Math.min(b.length, this.base + WINDOW + SHORT_PIECE));
    }
    return this.text.substring(start - this.base, end - this.base);
  }
}
