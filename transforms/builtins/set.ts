// Built-in `set`: sets attributes on every record. Config (normalized by the host):
// {fields: [{key, type, value}], overwrite: bool}; type 0 string, 1 number, 2 bool; values as text.
import { JValue, Record, Slice, transform, setNeeds, needAttribute, NEEDS_SELECTED_ATTRIBUTES } from "../sdk";
export * from "../sdk/exports";

const keys: Slice[] = [];
const vals: Slice[] = [];
const types: u8[] = [];
let overwrite = true;

function init(cfg: JValue): void {
  const f = cfg.arr("fields");
  for (let i = 0; i < f.length; i++) {
    keys.push(Slice.from(f[i].str("key")));
    needAttribute(f[i].str("key"));
    vals.push(Slice.from(f[i].str("value")));
    types.push(<u8>f[i].num("type"));
  }
  overwrite = cfg.bool("overwrite", true);
  setNeeds(overwrite ? 0 : NEEDS_SELECTED_ATTRIBUTES);
}

function onRecord(r: Record): void {
  for (let i = 0; i < keys.length; i++) {
    const k = unchecked(keys[i]);
    if (!overwrite && r.attr(k)) continue;
    r.setAttrSlices(k, unchecked(vals[i]), unchecked(types[i]));
  }
}

transform(init, onRecord, 0);
