// Built-in `parse_logfmt`: `key=value key2="quoted value" flag` in the body becomes attributes
// (optional `prefix`); a bare key is the boolean true. A body without any key=value pair, or with an
// unterminated quote, is left unchanged (or dropped with `drop_invalid: true`).
import { JValue, Record, Slice, transform, joinKey, NEEDS_BODY, T_STRING, T_BOOL, T_JSON_STRING } from "../sdk";
export * from "../sdk/exports";

let prefix: Slice = Slice.from("");
let dropInvalid = false;
const TRUE = Slice.from("true");

function init(cfg: JValue): void {
  prefix = Slice.from(cfg.str("prefix"));
  dropInvalid = cfg.bool("drop_invalid");
}

@inline function at(p: usize, i: i32): u8 {
  return load<u8>(p + <usize>i);
}
@inline function isSpace(c: u8): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
}

function put(r: Record, kp: usize, kl: i32, vp: usize, vl: i32, t: u8): void {
  const k = prefix.len > 0 ? joinKey(prefix.ptr, prefix.len, kp, kl) : kp;
  r.setAttr(k, prefix.len + kl, vp, vl, t);
}

function parse(r: Record): bool {
  const p = r.bodyPtr;
  const n = r.bodyLen;
  let i = 0;
  let pairs = 0;
  while (true) {
    while (i < n && isSpace(at(p, i))) i++;
    if (i >= n) break;
    const ks = i;
    while (i < n && at(p, i) != 0x3d && !isSpace(at(p, i)) && at(p, i) != 0x22) i++;
    const ke = i;
    if (ke == ks) return false;
    if (i < n && at(p, i) == 0x3d) {
      i++;
      if (i < n && at(p, i) == 0x22) {
        let esc = false;
        const vs = i + 1;
        i++;
        while (i < n && at(p, i) != 0x22) {
          if (at(p, i) == 0x5c) {
            esc = true;
            i++;
          }
          i++;
        }
        if (i >= n) return false;
        put(r, p + <usize>ks, ke - ks, p + <usize>vs, i - vs, esc ? T_JSON_STRING : T_STRING);
        i++;
      } else {
        const vs = i;
        while (i < n && !isSpace(at(p, i))) i++;
        put(r, p + <usize>ks, ke - ks, p + <usize>vs, i - vs, T_STRING);
      }
      pairs++;
    } else {
      if (i < n && at(p, i) == 0x22) return false;
      put(r, p + <usize>ks, ke - ks, TRUE.ptr, TRUE.len, T_BOOL);
    }
  }
  return pairs > 0;
}

function onRecord(r: Record): void {
  const m = r.mark();
  const st = r.status;
  if (!parse(r)) {
    r.rollback(m, st);
    if (dropInvalid) r.drop();
  }
}

transform(init, onRecord, NEEDS_BODY);
