// Structured conditions (the `condition` option of filter and route), compiled once from config JSON:
//   {severity_at_least: N} | {body_contains: "x"} | {attribute: "k", equals|prefix|contains: "x"}
//   | {all: [..]} | {any: [..]} | {not: {..}}
// The host normalizes severity names to numbers before handing the config over.
import { Slice, find, bytesEqual, startsWith } from "./bytes";
import { JValue, J_OBJ } from "./json";
import { Record } from "./record";
import { needAttribute } from "./abi";

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

  test(r: Record): bool {
    switch (this.kind) {
      case C_SEVERITY:
        return r.severity >= this.n;
      case C_BODY:
        return find(r.bodyPtr, r.bodyLen, this.val.ptr, this.val.len, 0) >= 0;
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
