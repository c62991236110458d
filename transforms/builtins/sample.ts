// Built-in `sample`: keeps 1 record in `rate`, chosen deterministically by an FNV-1a hash of the
// `key_field` attribute's value (or of the body when key_field is unset or absent on a record).
import { JValue, Slice, fnv1a, findAttr, transformBatch, setNeeds, needAttribute, NEEDS_BODY, NEEDS_SELECTED_ATTRIBUTES, STATUS_DROP, STATUS_KEEP } from "../sdk";
export * from "../sdk/exports";

let rate: u32 = 1;
let key: Slice | null = null;

function init(cfg: JValue): void {
  rate = <u32>cfg.num("rate", 1);
  if (rate < 1) rate = 1;
  const k = cfg.str("key_field");
  key = k.length > 0 ? Slice.from(k) : null;
  if (k.length > 0) needAttribute(k);
  setNeeds(key === null ? NEEDS_BODY : NEEDS_BODY | NEEDS_SELECTED_ATTRIBUTES);
}

// the whole batch in one loop (record layout: sdk/record.ts)
function statuses(base: usize, count: i32, st: usize): void {
  const k = key;
  for (let i: usize = 0; i < <usize>count; i++) {
    const hdr = base + 16 + (i << 4);
    let h: u32 = 0;
    const e = k !== null ? findAttr(base, hdr, k.ptr, k.len) : 0;
    if (e != 0) h = fnv1a(base + <usize>load<u32>(e + 8), <i32>load<u32>(e + 12));
    else h = fnv1a(base + <usize>load<u32>(hdr), <i32>load<u32>(hdr + 4));
    store<u8>(st + i, rate == 1 || h % rate == 0 ? STATUS_KEEP : STATUS_DROP);
  }
}

transformBatch(init, statuses);
