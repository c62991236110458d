// Built-in `remove`: removes attributes ({fields: [key, ...]}) where present.
import { JValue, Record, Slice, transform, needAttribute, NEEDS_SELECTED_ATTRIBUTES } from "../sdk";
export * from "../sdk/exports";

const keys: Slice[] = [];

function init(cfg: JValue): void {
  const f = cfg.arr("fields");
  for (let i = 0; i < f.length; i++) {
    keys.push(Slice.from(f[i].s));
    needAttribute(f[i].s);
  }
}

function onRecord(r: Record): void {
  for (let i = 0; i < keys.length; i++) {
    const k = unchecked(keys[i]);
    if (r.attr(k)) r.removeAttr(k.ptr, k.len);
  }
}

transform(init, onRecord, NEEDS_SELECTED_ATTRIBUTES);
