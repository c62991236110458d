// Component Model glue for an SDK transform (world flowlog:transform/transform, transforms/wit):
// the canonical-ABI exports `init`, `process`, `cabi_realloc`. A component transform re-exports
// these instead of "./exports"; it is built without an imported memory and with
// `--use abort=transforms/sdk/component/componentAbort` (see agent/transforms/component/build.ts).
import { flowlog_init, flowlog_input, flowlog_process, flowlog_statuses, flowlog_output, flowlog_output_len } from "./abi";
import { log, LOG_ERROR } from "./host";

const RET = memory.data(24);

export function cabi_realloc(old: usize, oldSize: usize, align: usize, newSize: usize): usize {
  if (newSize == 0) return align;
  return old == 0 ? heap.alloc(newSize) : heap.realloc(old, newSize);
}

export function init(ptr: usize, len: usize): u32 {
  const inp = flowlog_input(<i32>len, 0);
  memory.copy(inp, ptr, len);
  if (ptr != 0) heap.free(ptr);
  return <u32>flowlog_init(inp, <i32>len);
}

export function process(count: u32, ptr: usize, len: usize): usize {
  const inp = flowlog_input(<i32>len, <i32>count);
  memory.copy(inp, ptr, len);
  if (ptr != 0) heap.free(ptr);
  const kept = flowlog_process(<i32>count, <i32>len);
  if (kept < 0) unreachable();
  const st = flowlog_statuses();
  store<u32>(RET, <u32>st);
  store<u32>(RET + 4, count);
  store<u32>(RET + 8, <u32>flowlog_output());
  store<u32>(RET + 12, <u32>flowlog_output_len());
  let inPlace = false;
  for (let i: u32 = 0; i < count; i++) if ((load<u8>(st + <usize>i) & 4) != 0) inPlace = true;
  store<u32>(RET + 16, inPlace ? <u32>inp : 0);
  store<u32>(RET + 20, inPlace ? <u32>len : 0);
  return RET;
}

function componentAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  log(LOG_ERROR, "abort: " + (message === null ? "" : message) + " at " + (fileName === null ? "" : fileName) + ":" + line.toString());
  unreachable();
}
