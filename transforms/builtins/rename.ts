// Built-in `rename`: renames attributes ({fields: [{from, to}]}); absent ones are left alone.
import { JValue, Record, Slice, transform, needAttribute, NEEDS_SELECTED_ATTRIBUTES } from "../sdk";
export * from "../sdk/exports";

const from: Slice[] = [];
const to: Slice[] = [];

function init(cfg: JValue): void {
  const f = cfg.arr("fields");
  for (let i = 0; i < f.length; i++) {
    from.push(Slice.from(f[i].str("from")));
    needAttribute(f[i].str("from"));
    to.push(Slice.from(f[i].str("to")));
  }
}

function onRecord(r: Record): void {
  for (let i = 0; i < from.length; i++) {
    const f = unchecked(from[i]);
    if (!r.attr(f)) continue;
    const t = unchecked(to[i]);
    r.setAttr(t.ptr, t.len, r.valPtr, r.valLen, r.valType);
    r.removeAttr(f.ptr, f.len);
  }
}

transform(init, onRecord, NEEDS_SELECTED_ATTRIBUTES);
