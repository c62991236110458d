// The exports the agent calls (ABI v1). A transform re-exports these (`export * from "../sdk/abi"`)
// and registers its functions with `transform(init, record)` at top level.
import { JValue, parseJson } from "./json";
import { Output, Record, STATUS_KEEP, STATUS_DROP } from "./record";

export const ABI_VERSION: i32 = 1;
/** `flowlog_needs` bits: which parts of each record the host must encode. */
export const NEEDS_BODY: i32 = 1;
export const NEEDS_ATTRIBUTES: i32 = 2;
/** Only the attributes named with `needAttribute` (the host encodes just those; cheaper than all). */
export const NEEDS_SELECTED_ATTRIBUTES: i32 = 4;

type InitFn = (cfg: JValue) => void;
type RecordFn = (r: Record) => void;
type BatchFn = (count: i32) => void;
type StatusFn = (base: usize, count: i32, statuses: usize) => void;

let onInit: InitFn | null = null;
let onRecord: RecordFn | null = null;
let onBatch: BatchFn | null = null;
let onStatuses: StatusFn | null = null;
let needs: i32 = NEEDS_BODY | NEEDS_ATTRIBUTES;

let inPtr: usize = 0;
let inCap: i32 = 0;
let stPtr: usize = 0;
let stCap: i32 = 0;
const rec = new Record();
let serial: i32 = 0;

/** Changes with every batch: lets per-batch work (a whole-batch scan) run once per batch. */
export function batchSerial(): i32 {
  return serial;
}

/**
 * Registers the transform: `init` gets the config once; `record` is called for each record and sets
 * its status (keep by default) and edits. `need` limits what the host encodes (NEEDS_* bits).
 */
export function transform(init: InitFn, record: RecordFn, need: i32 = NEEDS_BODY | NEEDS_ATTRIBUTES): void {
  onInit = init;
  onRecord = record;
  needs = need;
}

/**
 * Registers a transform that only decides keep or drop, in one pass over the whole batch: `fn` gets
 * the input region (`base`, see record.ts for the layout) and writes one status byte per record at
 * `statuses` (STATUS_KEEP or STATUS_DROP). No call per record: a filter or a sampler over a batch
 * of short lines costs a few ns per record instead of ~13 (the per-record path's calls, measured).
 */
export function transformBatch(init: InitFn, fn: StatusFn, need: i32 = NEEDS_BODY | NEEDS_ATTRIBUTES): void {
  onInit = init;
  onStatuses = fn;
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

const selected: string[] = [];
let keysPtr: usize = 0;

/**
 * Declares an attribute the transform reads (call during init): with NEEDS_SELECTED_ATTRIBUTES the
 * host encodes only declared attributes. Edits may still set or remove any attribute.
 */
export function needAttribute(key: string): void {
  if (!selected.includes(key)) selected.push(key);
}

/** The declared attribute keys: u32 count, then count × [u16 len | UTF-8 bytes]. */
export function flowlog_attr_keys(): usize {
  let size = 4;
  const enc: ArrayBuffer[] = [];
  for (let i = 0; i < selected.length; i++) {
    const b = String.UTF8.encode(selected[i]);
    enc.push(b);
    size += 2 + b.byteLength;
  }
  if (keysPtr != 0) heap.free(keysPtr);
  keysPtr = heap.alloc(<usize>size);
  store<u32>(keysPtr, <u32>enc.length);
  let p = keysPtr + 4;
  for (let i = 0; i < enc.length; i++) {
    const b = enc[i];
    store<u16>(p, <u16>b.byteLength);
    memory.copy(p + 2, changetype<usize>(b), <usize>b.byteLength);
    p += 2 + <usize>b.byteLength;
  }
  return keysPtr;
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

/** Runs the transform over the `count` records in the input region (`bytes` long); returns the number kept. */
export function flowlog_process(count: i32, bytes: i32): i32 {
  Output.len = 0;
  serial++;
  if (onBatch !== null) onBatch!(count);
  const base = inPtr;
  const all = onStatuses;
  if (all !== null) {
    if (bytes < 16 || load<u32>(base) != <u32>count) return -1;
    all(base, count, stPtr);
    let dropped = 0;
    for (let i = 0; i < count; i++) dropped += <i32>(load<u8>(stPtr + <usize>i) == STATUS_DROP);
    return count - dropped;
  }
  const fn = onRecord;
  if (fn === null) return count;
  if (bytes < 16 || load<u32>(base) != <u32>count) return -1;
  const attrTable = base + <usize>load<u32>(base + 4);
  let h = base + 16;
  let kept = 0;
  rec.base = base;
  for (let i = 0; i < count; i++, h += 16) {
    rec.index = i;
    rec.ptr = h;
    rec.bodyPtr = base + <usize>load<u32>(h);
    rec.bodyLen = <i32>load<u32>(h + 4);
    rec.attrsPtr = attrTable + (<usize>load<u32>(h + 8) << 4);
    rec.attrCount = <i32>load<u16>(h + 12);
    rec.status = STATUS_KEEP;
    fn(rec);
    store<u8>(stPtr + <usize>i, rec.status);
    if (rec.status != STATUS_DROP) kept++;
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
