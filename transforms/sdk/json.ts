// A small JSON reader for the config the host hands to `flowlog_init` (once, at load: allocation is
// fine here). Transforms read fields with get/str/num/bool/arr helpers.

export const J_NULL: i32 = 0;
export const J_BOOL: i32 = 1;
export const J_NUM: i32 = 2;
export const J_STR: i32 = 3;
export const J_ARR: i32 = 4;
export const J_OBJ: i32 = 5;

export class JValue {
  kind: i32 = J_NULL;
  b: bool = false;
  n: f64 = 0;
  s: string = "";
  items: JValue[] = [];
  keys: string[] = [];

  /** Field of an object, or null. */
  get(key: string): JValue | null {
    if (this.kind != J_OBJ) return null;
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == key) return this.items[i];
    return null;
  }
  has(key: string): bool {
    return this.get(key) !== null;
  }
  str(key: string, dflt: string = ""): string {
    const v = this.get(key);
    return v !== null && v.kind == J_STR ? v.s : dflt;
  }
  num(key: string, dflt: f64 = 0): f64 {
    const v = this.get(key);
    return v !== null && v.kind == J_NUM ? v.n : dflt;
  }
  bool(key: string, dflt: bool = false): bool {
    const v = this.get(key);
    return v !== null && v.kind == J_BOOL ? v.b : dflt;
  }
  arr(key: string): JValue[] {
    const v = this.get(key);
    return v !== null && v.kind == J_ARR ? v.items : [];
  }
}

class Reader {
  i: i32 = 0;
  constructor(public p: usize, public n: i32) {}
  @inline peek(): u8 {
    return this.i < this.n ? load<u8>(this.p + <usize>this.i) : 0;
  }
  ws(): void {
    while (this.i < this.n) {
      const c = load<u8>(this.p + <usize>this.i);
      if (c != 32 && c != 9 && c != 10 && c != 13) break;
      this.i++;
    }
  }
}

/** Parses JSON text at (ptr, len); throws (aborts) on malformed input. */
export function parseJson(ptr: usize, len: i32): JValue {
  const r = new Reader(ptr, len);
  const v = value(r);
  r.ws();
  if (r.i != r.n) throw new Error("config: trailing characters");
  return v;
}

export function parseJsonString(s: string): JValue {
  const b = String.UTF8.encode(s);
  return parseJson(changetype<usize>(b), b.byteLength);
}

function value(r: Reader): JValue {
  r.ws();
  const c = r.peek();
  const v = new JValue();
  if (c == 0x7b) {
    v.kind = J_OBJ;
    r.i++;
    r.ws();
    if (r.peek() == 0x7d) {
      r.i++;
      return v;
    }
    while (true) {
      r.ws();
      if (r.peek() != 0x22) throw new Error("config: expected a key");
      v.keys.push(str(r));
      r.ws();
      if (r.peek() != 0x3a) throw new Error("config: expected ':'");
      r.i++;
      v.items.push(value(r));
      r.ws();
      const d = r.peek();
      r.i++;
      if (d == 0x7d) return v;
      if (d != 0x2c) throw new Error("config: expected ',' or '}'");
    }
  }
  if (c == 0x5b) {
    v.kind = J_ARR;
    r.i++;
    r.ws();
    if (r.peek() == 0x5d) {
      r.i++;
      return v;
    }
    while (true) {
      v.items.push(value(r));
      r.ws();
      const d = r.peek();
      r.i++;
      if (d == 0x5d) return v;
      if (d != 0x2c) throw new Error("config: expected ',' or ']'");
    }
  }
  if (c == 0x22) {
    v.kind = J_STR;
    v.s = str(r);
    return v;
  }
  if (c == 0x74 || c == 0x66 || c == 0x6e) {
    const start = r.i;
    while (r.i < r.n && load<u8>(r.p + <usize>r.i) >= 0x61 && load<u8>(r.p + <usize>r.i) <= 0x7a) r.i++;
    const w = String.UTF8.decodeUnsafe(r.p + <usize>start, <usize>(r.i - start));
    if (w == "true") {
      v.kind = J_BOOL;
      v.b = true;
    } else if (w == "false") {
      v.kind = J_BOOL;
    } else if (w != "null") throw new Error("config: bad literal");
    return v;
  }
  const start = r.i;
  while (r.i < r.n) {
    const d = load<u8>(r.p + <usize>r.i);
    if ((d >= 0x30 && d <= 0x39) || d == 0x2d || d == 0x2b || d == 0x2e || d == 0x65 || d == 0x45) r.i++;
    else break;
  }
  if (start == r.i) throw new Error("config: unexpected character");
  v.kind = J_NUM;
  v.n = parseFloat(String.UTF8.decodeUnsafe(r.p + <usize>start, <usize>(r.i - start)));
  return v;
}

function hex(c: u8): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  throw new Error("config: bad \\u escape");
}

function str(r: Reader): string {
  r.i++; // opening quote
  let out = "";
  let run = r.i;
  while (r.i < r.n) {
    const c = load<u8>(r.p + <usize>r.i);
    if (c == 0x22) {
      out += String.UTF8.decodeUnsafe(r.p + <usize>run, <usize>(r.i - run));
      r.i++;
      return out;
    }
    if (c == 0x5c) {
      out += String.UTF8.decodeUnsafe(r.p + <usize>run, <usize>(r.i - run));
      const e = load<u8>(r.p + <usize>(r.i + 1));
      r.i += 2;
      if (e == 0x6e) out += "\n";
      else if (e == 0x74) out += "\t";
      else if (e == 0x72) out += "\r";
      else if (e == 0x62) out += "\b";
      else if (e == 0x66) out += "\f";
      else if (e == 0x75) {
        let cp = 0;
        for (let k = 0; k < 4; k++) cp = (cp << 4) | hex(load<u8>(r.p + <usize>(r.i + k)));
        r.i += 4;
        out += String.fromCharCode(cp);
      } else out += String.fromCharCode(e);
      run = r.i;
      continue;
    }
    r.i++;
  }
  throw new Error("config: unterminated string");
}
