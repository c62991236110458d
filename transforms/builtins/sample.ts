// Built-in `sample`: keeps 1 record in `rate`, chosen deterministically by an FNV-1a hash of the
// `key_field` attribute's value (or of the body when key_field is unset or absent on a record).
import { JValue, Record, Slice, fnv1a, transform, setNeeds, needAttribute, NEEDS_BODY, NEEDS_SELECTED_ATTRIBUTES } from "../sdk";
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

function onRecord(r: Record): void {
  if (rate == 1) return;
  const k = key;
  const h = k !== null && r.attr(k) ? fnv1a(r.valPtr, r.valLen) : fnv1a(r.bodyPtr, r.bodyLen);
  if (h % rate != 0) r.drop();
}

transform(init, onRecord);
