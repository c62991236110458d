// Host imports: the only function a flowlog module may import (besides its memory).
// AssemblyScript: this file is compiled by asc, not tsc.

@external("flowlog", "log")
declare function hostLog(level: i32, ptr: usize, len: i32): void;

export const LOG_DEBUG: i32 = 0;
export const LOG_INFO: i32 = 1;
export const LOG_WARN: i32 = 2;
export const LOG_ERROR: i32 = 3;

/** Logs a message through the agent's logger (rate-limited by the host). */
export function log(level: i32, msg: string): void {
  const buf = String.UTF8.encode(msg);
  hostLog(level, changetype<usize>(buf), buf.byteLength);
}
