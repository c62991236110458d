// The exports the agent calls (ABI v1). A transform re-exports these (`export * from "../sdk/abi"`)
// and registers its functions with `transform(init, record)` at top level.
import { JValue, parseJson } from "./json";
import { Output, Record, STATUS_KEEP, STATUS_DROP } from "./record";

export const ABI_VERSION: i32 = 1;
/** `flowlog_needs` bits: which parts of each record the host must encode. */
export const NEEDS_BODY: i32 = 1;
export const NEEDS_ATTRIBUTES: i32 = 2;

type InitFn = (cfg: JValue) => void;
type RecordFn = (r: Record) => void;
type BatchFn = (count: i32) => void;

let onInit: InitFn | null = null;
let onRecord: RecordFn | null = null;
let onBatch: BatchFn | null = null;
let needs: i32 = NEEDS_BODY | NEEDS_ATTRIBUTES;

let inPtr: usize = 0;
let inCap: i32 = 0;
let stPtr: usize = 0;
let stCap: i32 = 0;
const rec = new Record();

/**
 * Registers the transform: `init` gets the config once; `record` is called for each record and sets
 * its status (keep by default) and edits. `need` limits what the host encodes (NEEDS_* bits).
 */
export function transform(init: InitFn, record: RecordFn, need: i32 = NEEDS_BODY | NEEDS_ATTRIBUTES): void {
  onInit = init;
  onRecord = record;
  needs = need;
}

/** Called once per batch before the records (e.g. to reset per-batch state). */
export function beforeBatch(fn: BatchFn): void {
  onBatch = fn;
}

/** Changes the needs bits during init (e.g. a filter that only tests the body). */
export function setNeeds(need: i32): void {
  needs = need;
}

export function flowlog_abi_version(): i32 {
  return ABI_VERSION;
}

export function flowlog_needs(): i32 {
  return needs;
}

/** Reserves `bytes` of input (the host writes the batch there) and status room for `count` records. */
export function flowlog_input(bytes: i32, count: i32): usize {
  if (bytes > inCap) {
    let cap = inCap < 65536 ? 65536 : inCap;
    while (cap < bytes) cap <<= 1;
    if (inPtr != 0) heap.free(inPtr);
    inPtr = heap.alloc(<usize>cap);
    inCap = cap;
  }
  if (count > stCap) {
    let cap = stCap < 4096 ? 4096 : stCap;
    while (cap < count) cap <<= 1;
    if (stPtr != 0) heap.free(stPtr);
    stPtr = heap.alloc(<usize>cap);
    stCap = cap;
  }
  return inPtr;
}

/** Config JSON is in the input region (written by the host after flowlog_input). 0 = ok. */
export function flowlog_init(ptr: usize, len: i32): i32 {
  const cfg = len > 0 ? parseJson(ptr, len) : new JValue();
  if (onInit !== null) onInit!(cfg);
  return 0;
}

/** Runs the transform over `count` records (`bytes` long) in the input region; returns the number kept. */
export function flowlog_process(count: i32, bytes: i32): i32 {
  Output.len = 0;
  if (onBatch !== null) onBatch!(count);
  const fn = onRecord;
  if (fn === null) return count;
  let p = inPtr;
  const end = inPtr + <usize>bytes;
  let kept = 0;
  for (let i = 0; i < count; i++) {
    if (p + 12 > end) return -1;
    const len = load<u32>(p);
    rec.index = i;
    rec.ptr = p;
    rec.attrCount = <i32>load<u16>(p + 6);
    rec.bodyLen = <i32>load<u32>(p + 8);
    rec.bodyPtr = p + 12;
    rec.attrsPtr = rec.bodyPtr + <usize>rec.bodyLen;
    rec.status = STATUS_KEEP;
    fn(rec);
    store<u8>(stPtr + <usize>i, rec.status);
    if (rec.status != STATUS_DROP) kept++;
    p += 4 + <usize>len;
  }
  return kept;
}

export function flowlog_statuses(): usize {
  return stPtr;
}

export function flowlog_output(): usize {
  return Output.ptr;
}

export function flowlog_output_len(): i32 {
  return Output.len;
}
