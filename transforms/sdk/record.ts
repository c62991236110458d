// Record accessors over the batch encoding (ABI v1, docs/transforms.md). Offsets are relative to
// the input region start (`base`):
//   record header (16 B): u32 body_off | u32 body_len | u32 first_attr | u16 attr_count | u8 severity | u8 reserved
//   attribute entry (16 B): u32 key_off | u16 key_len | u8 type | u8 reserved | u32 val_off | u32 val_len
// Attribute values are UTF-8 text; `type` says how the host reads them back (string, number, bool).
import { Slice, find, bytesEqual } from "./bytes";

export const STATUS_KEEP: u8 = 0;
export const STATUS_DROP: u8 = 1;
export const STATUS_MODIFIED: u8 = 2;
/** Status flag: the body bytes were edited in place (same length). */
export const FLAG_BODY_IN_PLACE: u8 = 4;

export const T_STRING: u8 = 0;
export const T_NUMBER: u8 = 1;
export const T_BOOL: u8 = 2;
/** Edits only: JSON string contents with escapes still in (the host unescapes). */
export const T_JSON_STRING: u8 = 3;
/** Edits only: JSON text (object/array) kept as a string attribute. */
export const T_JSON_TEXT: u8 = 4;
/** Edits only, OR-ed into a SET_ATTR type: the key is JSON string contents with escapes still in. */
export const T_KEY_JSON: u8 = 0x80;

const OP_SET_BODY: u8 = 1;
const OP_SET_ATTR: u8 = 2;
const OP_REMOVE_ATTR: u8 = 3;
const OP_SET_SEVERITY: u8 = 4;
const OP_SET_SEVERITY_TEXT: u8 = 5;

/** The edit output region (module-owned, grows as needed; the host reads it after each call). */
export class Output {
  static ptr: usize = 0;
  static cap: i32 = 0;
  static len: i32 = 0;

  static reserve(n: i32): usize {
    const need = Output.len + n;
    if (need > Output.cap) {
      let cap = Output.cap < 4096 ? 4096 : Output.cap;
      while (cap < need) cap <<= 1;
      Output.ptr = Output.ptr == 0 ? heap.alloc(<usize>cap) : heap.realloc(Output.ptr, <usize>cap);
      Output.cap = cap;
    }
    const p = Output.ptr + <usize>Output.len;
    Output.len = need;
    return p;
  }
}

@inline function putBytes(p: usize, src: usize, n: i32): usize {
  memory.copy(p, src, <usize>n);
  return p + <usize>n;
}

/**
 * Attribute `key` of the record whose header is at `hdr`, in the batch at `base`: its entry's
 * address, or 0. For batch-wide code that works without a Record.
 */
export function findAttr(base: usize, hdr: usize, key: usize, keyLen: i32): usize {
  let e = base + <usize>load<u32>(base + 4) + (<usize>load<u32>(hdr + 8) << 4);
  const n = <i32>load<u16>(hdr + 12);
  for (let i = 0; i < n; i++, e += 16) {
    if (bytesEqual(base + <usize>load<u32>(e), <i32>load<u16>(e + 4), key, keyLen)) return e;
  }
  return 0;
}

/** One record of the current batch. The SDK reuses a single instance: do not keep it across calls. */
export class Record {
  index: i32 = 0;
  /** Start of the input region (offsets are relative to it). */
  base: usize = 0;
  /** The record's header. */
  ptr: usize = 0;
  bodyPtr: usize = 0;
  bodyLen: i32 = 0;
  attrCount: i32 = 0;
  /** This record's first attribute entry. */
  attrsPtr: usize = 0;
  status: u8 = STATUS_KEEP;
  /** Set by `attr()`: the value of the attribute found. */
  valPtr: usize = 0;
  valLen: i32 = 0;
  valType: u8 = 0;

  @inline get severity(): i32 {
    return <i32>load<u8>(this.ptr + 14);
  }

  /** Body bytes as a slice view (no copy). */
  body(out: Slice): Slice {
    out.ptr = this.bodyPtr;
    out.len = this.bodyLen;
    return out;
  }

  /** Whether the body contains `needle` (SIMD). */
  @inline bodyContains(needle: Slice): bool {
    return find(this.bodyPtr, this.bodyLen, needle.ptr, needle.len, 0) >= 0;
  }

  /** Finds attribute `key`; on success sets valPtr/valLen/valType and returns true. */
  attr(key: Slice): bool {
    const e = findAttr(this.base, this.ptr, key.ptr, key.len);
    if (e == 0) return false;
    this.valType = load<u8>(e + 6);
    this.valPtr = this.base + <usize>load<u32>(e + 8);
    this.valLen = <i32>load<u32>(e + 12);
    return true;
  }

  /** Attribute i (0 ≤ i < attrCount): key into `key`, value into valPtr/valLen/valType. */
  attrAt(i: i32, key: Slice): void {
    const e = this.attrsPtr + <usize>(i * 16);
    key.ptr = this.base + <usize>load<u32>(e);
    key.len = <i32>load<u16>(e + 4);
    this.valType = load<u8>(e + 6);
    this.valPtr = this.base + <usize>load<u32>(e + 8);
    this.valLen = <i32>load<u32>(e + 12);
  }

  @inline keep(): void {
    this.status = STATUS_KEEP;
  }
  @inline drop(): void {
    this.status = STATUS_DROP;
  }
  /** Marks the record modified: the host re-reads its bytes (for in-place edits) and applies its edits. */
  @inline markModified(): void {
    if (this.status != STATUS_DROP) this.status = (this.status & FLAG_BODY_IN_PLACE) | STATUS_MODIFIED;
  }

  /** Marks the body as edited in place (same length): the host reads the body bytes back. */
  @inline markBodyEdited(): void {
    if (this.status != STATUS_DROP) this.status = STATUS_MODIFIED | FLAG_BODY_IN_PLACE;
  }

  private op(op: u8, extra: i32): usize {
    const p = Output.reserve(5 + extra);
    store<u32>(p, <u32>this.index);
    store<u8>(p + 4, op);
    this.markModified();
    return p + 5;
  }

  /** Replaces the body with the given bytes (`type` T_STRING or T_JSON_STRING). */
  setBody(ptr: usize, len: i32, type: u8 = T_STRING): void {
    let p = this.op(OP_SET_BODY, 5 + len);
    store<u8>(p, type);
    store<u32>(p + 1, <u32>len);
    putBytes(p + 5, ptr, len);
  }

  /** Sets (adds or replaces) an attribute. */
  setAttr(kp: usize, kl: i32, vp: usize, vl: i32, type: u8 = T_STRING): void {
    let p = this.op(OP_SET_ATTR, 2 + kl + 5 + vl);
    store<u16>(p, <u16>kl);
    p = putBytes(p + 2, kp, kl);
    store<u8>(p, type);
    store<u32>(p + 1, <u32>vl);
    putBytes(p + 5, vp, vl);
  }

  @inline setAttrSlices(key: Slice, val: Slice, type: u8 = T_STRING): void {
    this.setAttr(key.ptr, key.len, val.ptr, val.len, type);
  }

  removeAttr(kp: usize, kl: i32): void {
    const p = this.op(OP_REMOVE_ATTR, 2 + kl);
    store<u16>(p, <u16>kl);
    putBytes(p + 2, kp, kl);
  }

  /** Sets the severity number (1..24); the host sets the canonical text (WARN, ERROR...). */
  setSeverity(n: i32): void {
    store<u8>(this.op(OP_SET_SEVERITY, 1), <u8>n);
  }

  /** Sets the severity from a level name ("warning", "E"...): the host maps it to a number. */
  setSeverityText(ptr: usize, len: i32): void {
    const p = this.op(OP_SET_SEVERITY_TEXT, 2 + len);
    store<u16>(p, <u16>len);
    putBytes(p + 2, ptr, len);
  }

  /** The current end of the edit output (pair with `rollback`). */
  @inline mark(): i32 {
    return Output.len;
  }

  /** Discards the edits written since `mark` and restores `status` (e.g. a parse that failed halfway). */
  rollback(mark: i32, status: u8): void {
    Output.len = mark;
    this.status = status;
  }

  /** Overwrites body bytes [off, off+len) with `b` in place (length-preserving). */
  maskBody(off: i32, len: i32, b: u8): void {
    memory.fill(this.bodyPtr + <usize>off, b, <usize>len);
    this.markBodyEdited();
  }
}
