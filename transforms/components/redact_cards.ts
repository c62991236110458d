// A component transform (Component Model, world flowlog:transform/transform): masks Luhn-valid card
// numbers in the body, like the `redact` built-in limited to credit_card. Built by
// scripts/build-wasm.mjs into build/transforms/components/redact_cards.wasm.
import { JValue, Record, transform, NEEDS_BODY } from "../sdk";
export * from "../sdk/component";

@inline function isDigit(c: u8): bool {
  return <u8>(c - 0x30) < 10;
}

function luhnMask(r: Record, start: i32, end: i32): void {
  let sum = 0;
  let dbl = false;
  let digits = 0;
  for (let k = end - 1; k >= start; k--) {
    const c = load<u8>(r.bodyPtr + <usize>k);
    if (!isDigit(c)) continue;
    digits++;
    let d = <i32>(c - 0x30);
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  if (digits < 13 || digits > 19 || sum % 10 != 0) return;
  for (let k = start; k < end; k++) if (isDigit(load<u8>(r.bodyPtr + <usize>k))) store<u8>(r.bodyPtr + <usize>k, 0x2a);
  r.markBodyEdited();
}

function init(cfg: JValue): void {}

function onRecord(r: Record): void {
  const p = r.bodyPtr;
  const n = r.bodyLen;
  let i = 0;
  while (i < n) {
    if (!isDigit(load<u8>(p + <usize>i))) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && (isDigit(load<u8>(p + <usize>j)) || ((load<u8>(p + <usize>j) == 0x20 || load<u8>(p + <usize>j) == 0x2d) && j + 1 < n && isDigit(load<u8>(p + <usize>(j + 1)))))) j++;
    luhnMask(r, i, j);
    i = j;
  }
}

transform(init, onRecord, NEEDS_BODY);
