// Structured conditions (the `condition` option of filter and route), compiled once from config JSON:
//   {severity_at_least: N} | {body_contains: "x"} | {attribute: "k", equals|prefix|contains: "x"}
//   | {all: [..]} | {any: [..]} | {not: {..}}
// The host normalizes severity names to numbers before handing the config over.
import { Slice, find, bytesEqual, startsWith } from "./bytes";
import { JValue, J_OBJ } from "./json";
import { Record, findAttr } from "./record";
import { needAttribute, batchSerial } from "./abi";
import { bodyHits } from "./scan";

const C_SEVERITY: i32 = 1;
const C_BODY: i32 = 2;
const C_EQUALS: i32 = 3;
const C_PREFIX: i32 = 4;
const C_CONTAINS: i32 = 5;
const C_ALL: i32 = 6;
const C_ANY: i32 = 7;
const C_NOT: i32 = 8;
const C_TRUE: i32 = 9;

export class Condition {
  kind: i32 = C_TRUE;
  n: i32 = 0;
  key: Slice = new Slice();
  val: Slice = new Slice();
  kids: Condition[] = [];
  /** Whether evaluating needs attributes (lets the host skip encoding them when not). */
  usesAttributes: bool = false;
  /** Whether evaluating reads the body (else the host need not encode it). */
  usesBody: bool = false;
  /** body_contains: per-record results of one whole-batch scan (scan.ts), for batch `hitsBatch`. */
  private hits: usize = 0;
  private hitsCap: i32 = 0;
  private hitsBatch: i32 = -1;

  private bodyHit(r: Record): bool {
    const serial = batchSerial();
    if (this.hitsBatch != serial) {
      const count = <i32>load<u32>(r.base);
      if (count > this.hitsCap) {
        const cap = count < 4096 ? 4096 : count;
        this.hits = this.hits == 0 ? heap.alloc(<usize>cap) : heap.realloc(this.hits, <usize>cap);
        this.hitsCap = cap;
      }
      bodyHits(r.base, this.val.ptr, this.val.len, this.hits);
      this.hitsBatch = serial;
    }
    return load<u8>(this.hits + <usize>r.index) != 0;
  }

  /** Per-node scratch for evalBatch (a kid's results). */
  private tmp: usize = 0;
  private tmpCap: i32 = 0;

  private scratch(count: i32): usize {
    if (count > this.tmpCap) {
      const cap = count < 4096 ? 4096 : count;
      this.tmp = this.tmp == 0 ? heap.alloc(<usize>cap) : heap.realloc(this.tmp, <usize>cap);
      this.tmpCap = cap;
    }
    return this.tmp;
  }

  /**
   * Evaluates the condition for every record of the batch at `base` (`count` records) in one pass:
   * out[i] = 1 when record i matches, else 0. Same results as test(), without a call per record.
   */
  evalBatch(base: usize, count: i32, out: usize): void {
    const n = <usize>count;
    switch (this.kind) {
      case C_SEVERITY: {
        const min = this.n;
        for (let i: usize = 0; i < n; i++) store<u8>(out + i, <u8>(<i32>load<u8>(base + 30 + (i << 4)) >= min));
        return;
      }
      case C_BODY:
        bodyHits(base, this.val.ptr, this.val.len, out);
        return;
      case C_EQUALS:
      case C_PREFIX:
      case C_CONTAINS: {
        // the host writes a repeated key or value once and points every entry at it: compare bytes
        // only when the offsets differ from the last record's
        const kind = this.kind;
        let lastKey: u32 = 0xffffffff;
        let lastVal: u32 = 0xffffffff;
        let lastLen: u32 = 0;
        let lastHit: u8 = 0;
        for (let i: usize = 0; i < n; i++) {
          const hdr = base + 16 + (i << 4);
          let hit: u8 = 0;
          let e: usize = 0;
          const first = base + <usize>load<u32>(base + 4) + (<usize>load<u32>(hdr + 8) << 4);
          if (load<u16>(hdr + 12) == 1 && load<u32>(first) == lastKey) e = first;
          else {
            e = findAttr(base, hdr, this.key.ptr, this.key.len);
            if (e != 0) lastKey = load<u32>(e);
          }
          if (e != 0) {
            const vo = load<u32>(e + 8);
            const vl = load<u32>(e + 12);
            if (vo == lastVal && vl == lastLen) hit = lastHit;
            else {
              const vp = base + <usize>vo;
              const m = kind == C_EQUALS ? bytesEqual(vp, <i32>vl, this.val.ptr, this.val.len)
                : kind == C_PREFIX ? startsWith(vp, <i32>vl, this.val.ptr, this.val.len)
                : find(vp, <i32>vl, this.val.ptr, this.val.len, 0) >= 0;
              hit = <u8>m;
              lastVal = vo;
              lastLen = vl;
              lastHit = hit;
            }
          }
          store<u8>(out + i, hit);
        }
        return;
      }
      case C_ALL:
      case C_ANY: {
        const all = this.kind == C_ALL;
        memory.fill(out, all ? 1 : 0, n);
        const tmp = this.scratch(count);
        for (let k = 0; k < this.kids.length; k++) {
          this.kids[k].evalBatch(base, count, tmp);
          if (all) for (let i: usize = 0; i < n; i++) store<u8>(out + i, load<u8>(out + i) & load<u8>(tmp + i));
          else for (let i: usize = 0; i < n; i++) store<u8>(out + i, load<u8>(out + i) | load<u8>(tmp + i));
        }
        return;
      }
      case C_NOT: {
        this.kids[0].evalBatch(base, count, out);
        for (let i: usize = 0; i < n; i++) store<u8>(out + i, load<u8>(out + i) ^ 1);
        return;
      }
      default:
        memory.fill(out, 1, n);
    }
  }

  test(r: Record): bool {
    switch (this.kind) {
      case C_SEVERITY:
        return r.severity >= this.n;
      case C_BODY:
        return this.bodyHit(r);
      case C_EQUALS:
        return r.attr(this.key) && bytesEqual(r.valPtr, r.valLen, this.val.ptr, this.val.len);
      case C_PREFIX:
        return r.attr(this.key) && startsWith(r.valPtr, r.valLen, this.val.ptr, this.val.len);
      case C_CONTAINS:
        return r.attr(this.key) && find(r.valPtr, r.valLen, this.val.ptr, this.val.len, 0) >= 0;
      case C_ALL: {
        for (let i = 0; i < this.kids.length; i++) if (!this.kids[i].test(r)) return false;
        return true;
      }
      case C_ANY: {
        for (let i = 0; i < this.kids.length; i++) if (this.kids[i].test(r)) return true;
        return false;
      }
      case C_NOT:
        return !this.kids[0].test(r);
      default:
        return true;
    }
  }
}

export function compileCondition(j: JValue | null): Condition {
  const c = new Condition();
  if (j === null || j.kind != J_OBJ) return c;
  const v = j!;
  if (v.has("severity_at_least")) {
    c.kind = C_SEVERITY;
    c.n = <i32>v.num("severity_at_least");
  } else if (v.has("body_contains")) {
    c.kind = C_BODY;
    c.usesBody = true;
    c.val = Slice.from(v.str("body_contains"));
  } else if (v.has("attribute")) {
    c.key = Slice.from(v.str("attribute"));
    c.usesAttributes = true;
    needAttribute(v.str("attribute"));
    if (v.has("equals")) {
      c.kind = C_EQUALS;
      c.val = Slice.from(v.str("equals"));
    } else if (v.has("prefix")) {
      c.kind = C_PREFIX;
      c.val = Slice.from(v.str("prefix"));
    } else {
      c.kind = C_CONTAINS;
      c.val = Slice.from(v.str("contains"));
    }
  } else if (v.has("all") || v.has("any")) {
    c.kind = v.has("all") ? C_ALL : C_ANY;
    const items = v.arr(c.kind == C_ALL ? "all" : "any");
    for (let i = 0; i < items.length; i++) {
      const k = compileCondition(items[i]);
      if (k.usesAttributes) c.usesAttributes = true;
      if (k.usesBody) c.usesBody = true;
      c.kids.push(k);
    }
  } else if (v.has("not")) {
    c.kind = C_NOT;
    const k = compileCondition(v.get("not"));
    c.usesAttributes = k.usesAttributes;
    c.usesBody = k.usesBody;
    c.kids.push(k);
  }
  return c;
}
