// Built-in `parse_json`: a body holding a JSON object becomes attributes (top-level keys, with an
// optional `prefix`). Strings, numbers and booleans keep their type; nested objects and arrays are
// kept as their JSON text; nulls are skipped. Escapes are left for the host to decode (T_JSON_STRING).
// A body that is not a JSON object is left unchanged (or dropped with `drop_invalid: true`).
import {
  JValue, Record, Slice, transform, joinKey, NEEDS_BODY,
  T_STRING, T_NUMBER, T_BOOL, T_JSON_STRING, T_JSON_TEXT, T_KEY_JSON,
} from "../sdk";
export * from "../sdk/exports";

let prefix: Slice = Slice.from("");
let dropInvalid = false;

function init(cfg: JValue): void {
  prefix = Slice.from(cfg.str("prefix"));
  dropInvalid = cfg.bool("drop_invalid");
}

@inline function at(p: usize, i: i32): u8 {
  return load<u8>(p + <usize>i);
}

function ws(p: usize, n: i32, i: i32): i32 {
  while (i < n) {
    const c = at(p, i);
    if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
    i++;
  }
  return i;
}

let escaped = false;

/** i at the opening quote; returns the index of the closing quote (or -1). Sets `escaped`. */
function strEnd(p: usize, n: i32, i: i32): i32 {
  escaped = false;
  i++;
  while (i < n) {
    const c = at(p, i);
    if (c == 0x22) return i;
    if (c == 0x5c) {
      escaped = true;
      i += 2;
      continue;
    }
    i++;
  }
  return -1;
}

/** i at '{' or '['; returns the index after the matching bracket (or -1). */
function compositeEnd(p: usize, n: i32, i: i32): i32 {
  let depth = 0;
  while (i < n) {
    const c = at(p, i);
    if (c == 0x22) {
      i = strEnd(p, n, i);
      if (i < 0) return -1;
    } else if (c == 0x7b || c == 0x5b) depth++;
    else if (c == 0x7d || c == 0x5d) {
      depth--;
      if (depth == 0) return i + 1;
    }
    i++;
  }
  return -1;
}

function parse(r: Record): bool {
  const p = r.bodyPtr;
  const n = r.bodyLen;
  let i = ws(p, n, 0);
  if (i >= n || at(p, i) != 0x7b) return false;
  i = ws(p, n, i + 1);
  if (i < n && at(p, i) == 0x7d) return ws(p, n, i + 1) == n;
  while (true) {
    if (i >= n || at(p, i) != 0x22) return false;
    const ke = strEnd(p, n, i);
    if (ke < 0) return false;
    const ks = i + 1;
    const keyType: u8 = escaped ? T_KEY_JSON : 0;
    i = ws(p, n, ke + 1);
    if (i >= n || at(p, i) != 0x3a) return false;
    i = ws(p, n, i + 1);
    if (i >= n) return false;
    const c = at(p, i);
    let vs = i;
    let ve = i;
    let t: u8 = T_STRING;
    let skip = false;
    if (c == 0x22) {
      const e = strEnd(p, n, i);
      if (e < 0) return false;
      vs = i + 1;
      ve = e;
      t = escaped ? T_JSON_STRING : T_STRING;
      i = e + 1;
    } else if (c == 0x7b || c == 0x5b) {
      ve = compositeEnd(p, n, i);
      if (ve < 0) return false;
      t = T_JSON_TEXT;
      i = ve;
    } else {
      while (i < n) {
        const d = at(p, i);
        if (d == 0x2c || d == 0x7d || d == 0x20 || d == 0x09 || d == 0x0a || d == 0x0d) break;
        i++;
      }
      ve = i;
      const l = ve - vs;
      if (l == 4 && at(p, vs) == 0x74) t = T_BOOL;
      else if (l == 5 && at(p, vs) == 0x66) t = T_BOOL;
      else if (l == 4 && at(p, vs) == 0x6e) skip = true;
      else if ((c >= 0x30 && c <= 0x39) || c == 0x2d) t = T_NUMBER;
      else return false;
    }
    if (!skip) {
      const kp = prefix.len > 0 ? joinKey(prefix.ptr, prefix.len, p + <usize>ks, ke - ks) : p + <usize>ks;
      r.setAttr(kp, prefix.len + ke - ks, p + <usize>vs, ve - vs, t | keyType);
    }
    i = ws(p, n, i);
    if (i >= n) return false;
    const d = at(p, i);
    if (d == 0x7d) return ws(p, n, i + 1) == n;
    if (d != 0x2c) return false;
    i = ws(p, n, i + 1);
  }
  return false;
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
