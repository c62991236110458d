// Built-in `redact`: masks secrets in the body in place, keeping its length:
//   credit_card     13-19 digits (single spaces/dashes allowed between) that pass the Luhn check
//   email           local@domain.tld (everything but the '@' is masked)
//   bearer          the token after "Bearer " / "bearer "
//   aws_access_key  AKIA/ASIA + 16 upper-case letters or digits (the 16 are masked)
// SIMD prefilters skip 16-byte blocks that cannot start a match.
import { JValue, Record, Slice, find, findByte, transform, NEEDS_BODY } from "../sdk";
export * from "../sdk/exports";

let doCard = true;
let doEmail = true;
let doBearer = true;
let doAws = true;
let mask: u8 = 0x2a; // '*'

const BEARER = Slice.from("earer ");
const AKIA = Slice.from("AKIA");
const ASIA = Slice.from("ASIA");

function init(cfg: JValue): void {
  const p = cfg.arr("patterns");
  if (p.length > 0) {
    doCard = doEmail = doBearer = doAws = false;
    for (let i = 0; i < p.length; i++) {
      const s = p[i].s;
      if (s == "credit_card") doCard = true;
      else if (s == "email") doEmail = true;
      else if (s == "bearer") doBearer = true;
      else if (s == "aws_access_key") doAws = true;
    }
  }
  const m = cfg.str("mask", "*");
  if (m.length > 0) mask = <u8>m.charCodeAt(0);
}

@inline function isDigit(c: u8): bool {
  return <u8>(c - 0x30) < 10;
}
@inline function isAlnum(c: u8): bool {
  return isDigit(c) || <u8>((c | 0x20) - 0x61) < 26;
}
@inline function isLocal(c: u8): bool {
  return isAlnum(c) || c == 0x2e || c == 0x5f || c == 0x25 || c == 0x2b || c == 0x2d;
}
@inline function isDomain(c: u8): bool {
  return isAlnum(c) || c == 0x2e || c == 0x2d;
}
@inline function isToken(c: u8): bool {
  return isAlnum(c) || c == 0x2d || c == 0x2e || c == 0x5f || c == 0x7e || c == 0x2b || c == 0x2f || c == 0x3d;
}

/** Index of the first ASCII digit at or after `from`, or -1 (SIMD). */
function findDigit(p: usize, n: i32, from: i32): i32 {
  let i = from;
  const zero = i8x16.splat(0x30);
  const ten = i8x16.splat(10);
  while (i + 16 <= n) {
    const m = i8x16.bitmask(i8x16.lt_u(i8x16.sub(v128.load(p + <usize>i), zero), ten));
    if (m != 0) return i + <i32>ctz(m);
    i += 16;
  }
  while (i < n) {
    if (isDigit(load<u8>(p + <usize>i))) return i;
    i++;
  }
  return -1;
}

function cards(r: Record): void {
  const p = r.bodyPtr;
  const n = r.bodyLen;
  let i = findDigit(p, n, 0);
  while (i >= 0) {
    if (i > 0 && isAlnum(load<u8>(p + <usize>(i - 1)))) {
      // inside a word or a longer number: skip the digit run
      while (i < n && isDigit(load<u8>(p + <usize>i))) i++;
      i = findDigit(p, n, i);
      continue;
    }
    // collect digits, allowing one space or dash between digits
    let j = i;
    let digits = 0;
    let end = i;
    while (j < n) {
      const c = load<u8>(p + <usize>j);
      if (isDigit(c)) {
        digits++;
        j++;
        end = j;
      } else if ((c == 0x20 || c == 0x2d) && j + 1 < n && isDigit(load<u8>(p + <usize>(j + 1))) && j > i) j++;
      else break;
      if (digits > 19) break;
    }
    const boundary = end >= n || !isAlnum(load<u8>(p + <usize>end));
    if (digits >= 13 && digits <= 19 && boundary && luhn(p, i, end)) {
      for (let k = i; k < end; k++) if (isDigit(load<u8>(p + <usize>k))) store<u8>(p + <usize>k, mask);
      r.markBodyEdited();
    }
    i = findDigit(p, n, end > i ? end : i + 1);
  }
}

function luhn(p: usize, start: i32, end: i32): bool {
  let sum = 0;
  let dbl = false;
  for (let k = end - 1; k >= start; k--) {
    const c = load<u8>(p + <usize>k);
    if (!isDigit(c)) continue;
    let d = <i32>(c - 0x30);
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

function emails(r: Record): void {
  const p = r.bodyPtr;
  const n = r.bodyLen;
  let at = findByte(p, n, 0x40, 0);
  while (at >= 0) {
    let s = at;
    while (s > 0 && isLocal(load<u8>(p + <usize>(s - 1)))) s--;
    let e = at + 1;
    let lastDot = -1;
    while (e < n && isDomain(load<u8>(p + <usize>e))) {
      if (load<u8>(p + <usize>e) == 0x2e) lastDot = e;
      e++;
    }
    // trailing dots belong to the sentence, not the domain
    while (e > at + 1 && load<u8>(p + <usize>(e - 1)) == 0x2e) e--;
    if (lastDot >= e) lastDot = -1;
    for (let k = e - 1; k > at && lastDot < 0; k--) if (load<u8>(p + <usize>k) == 0x2e) lastDot = k;
    if (s < at && lastDot > at + 1 && e - lastDot - 1 >= 2) {
      r.maskBody(s, at - s, mask);
      r.maskBody(at + 1, e - at - 1, mask);
    }
    at = findByte(p, n, 0x40, e > at ? e : at + 1);
  }
}

function bearer(r: Record): void {
  const p = r.bodyPtr;
  const n = r.bodyLen;
  let i = find(p, n, BEARER.ptr, BEARER.len, 1);
  while (i >= 0) {
    const b = load<u8>(p + <usize>(i - 1));
    let e = i + BEARER.len;
    if (b == 0x42 || b == 0x62) {
      const s = e;
      while (e < n && isToken(load<u8>(p + <usize>e))) e++;
      if (e > s) r.maskBody(s, e - s, mask);
    }
    i = find(p, n, BEARER.ptr, BEARER.len, e);
  }
}

function awsPrefix(r: Record, pre: Slice): void {
  const p = r.bodyPtr;
  const n = r.bodyLen;
  let i = find(p, n, pre.ptr, pre.len, 0);
  while (i >= 0) {
    const s = i + 4;
    let ok = s + 16 <= n && (i == 0 || !isAlnum(load<u8>(p + <usize>(i - 1))));
    for (let k = s; ok && k < s + 16; k++) {
      const c = load<u8>(p + <usize>k);
      ok = isDigit(c) || <u8>(c - 0x41) < 26;
    }
    if (ok && s + 16 < n && isAlnum(load<u8>(p + <usize>(s + 16)))) ok = false;
    if (ok) r.maskBody(s, 16, mask);
    i = find(p, n, pre.ptr, pre.len, i + 4);
  }
}

function onRecord(r: Record): void {
  if (doCard) cards(r);
  if (doEmail) emails(r);
  if (doBearer) bearer(r);
  if (doAws) {
    awsPrefix(r, AKIA);
    awsPrefix(r, ASIA);
  }
}

transform(init, onRecord, NEEDS_BODY);
