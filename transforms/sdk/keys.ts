// Key building for parsers that prefix attribute names: a reusable scratch buffer (no per-record allocation).
let scratch: usize = 0;
let scratchCap: i32 = 0;

/** Writes prefix + key into the scratch buffer and returns its pointer (length = pl + kl). */
export function joinKey(pp: usize, pl: i32, kp: usize, kl: i32): usize {
  const need = pl + kl;
  if (need > scratchCap) {
    let cap = scratchCap < 256 ? 256 : scratchCap;
    while (cap < need) cap <<= 1;
    scratch = scratch == 0 ? heap.alloc(<usize>cap) : heap.realloc(scratch, <usize>cap);
    scratchCap = cap;
  }
  memory.copy(scratch, pp, <usize>pl);
  memory.copy(scratch + <usize>pl, kp, <usize>kl);
  return scratch;
}
