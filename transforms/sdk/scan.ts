// Whole-batch body search: one SIMD pass over the bodies of a batch instead of one search per
// record. Line sources hand the bodies over as adjacent bytes of their read chunk (docs/transforms.md),
// so the pass runs through them at memory speed and only stops where the needle occurs.
import { find } from "./bytes";

@inline function bodyStart(base: usize, i: i32): usize {
  return base + <usize>load<u32>(base + 16 + (<usize>i << 4));
}
@inline function bodyEnd(base: usize, i: i32): usize {
  const h = base + 16 + (<usize>i << 4);
  return base + <usize>load<u32>(h) + <usize>load<u32>(h + 4);
}

/**
 * For the batch whose input region starts at `base`, stores at `hits + i` 1 if record i's body
 * contains the needle, else 0.
 */
export function bodyHits(base: usize, needle: usize, needleLen: i32, hits: usize): void {
  const count = <i32>load<u32>(base);
  memory.fill(hits, 0, <usize>count);
  if (count == 0) return;
  // the single pass needs bodies in increasing, non-overlapping order (what the host writes)
  let ordered = true;
  for (let i = 1; i < count; i++) {
    if (bodyStart(base, i) < bodyEnd(base, i - 1)) {
      ordered = false;
      break;
    }
  }
  if (!ordered) {
    for (let i = 0; i < count; i++) {
      const s = bodyStart(base, i);
      if (find(s, <i32>(bodyEnd(base, i) - s), needle, needleLen, 0) >= 0) store<u8>(hits + <usize>i, 1);
    }
    return;
  }
  const last = bodyEnd(base, count - 1);
  let i = 0;
  while (i < count) {
    // the first occurrence at or after record i's start; every record from i on starts there or later
    const s = bodyStart(base, i);
    const at = find(s, <i32>(last - s), needle, needleLen, 0);
    if (at < 0) return;
    const q = s + <usize>at;
    const qEnd = q + <usize>needleLen;
    // records that end before the occurrence does contain none (it is the first one past their start)
    while (i < count && bodyEnd(base, i) < qEnd) i++;
    if (i == count) return;
    if (bodyStart(base, i) <= q) {
      store<u8>(hits + <usize>i, 1);
      i++;
    }
    // else the occurrence straddles record i's start: search again from there
  }
}
