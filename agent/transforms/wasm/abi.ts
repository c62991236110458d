// The batch ABI between the agent and a transform module, version 1 (docs/transforms.md).
//
// Input region (little-endian; offsets are relative to the region start):
//   batch header (16 B):   u32 count | u32 attr_table_off | u32 data_off | u32 data_len
//   record headers (16 B each, from byte 16):
//                          u32 body_off | u32 body_len | u32 first_attr | u16 attr_count | u8 severity_number | u8 reserved
//   attribute table (16 B each, at attr_table_off):
//                          u32 key_off | u16 key_len | u8 type | u8 reserved | u32 val_off | u32 val_len
//   data (at data_off):    the UTF-8 bytes of bodies, keys and values
// Status (one byte per record): bits 0-1 action (0 keep, 1 drop, 2 modified), bit 2 body edited in
//   place (same length), bits 3-7 reserved (must be 0).
// Edit (output region): u32 record_index | u8 op | op fields (see OP_*).
import { MeterRefused, Reader } from './meter/bytes.js';

export const ABI_VERSION = 1;

export const BATCH_HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 16;
export const ATTR_ENTRY_BYTES = 16;

export const ACTION_MASK = 0x03;
export const STATUS_KEEP = 0;
export const STATUS_DROP = 1;
export const STATUS_MODIFIED = 2;
export const FLAG_BODY_IN_PLACE = 0x04;
export const STATUS_RESERVED = 0xf8;

export const T_STRING = 0;
export const T_NUMBER = 1;
export const T_BOOL = 2;
export const T_JSON_STRING = 3;
export const T_JSON_TEXT = 4;
export const T_KEY_JSON = 0x80;

/** u8 type | u32 len | bytes */
export const OP_SET_BODY = 1;
/** u16 key_len | key | u8 type | u32 val_len | val */
export const OP_SET_ATTR = 2;
/** u16 key_len | key */
export const OP_REMOVE_ATTR = 3;
/** u8 severity_number */
export const OP_SET_SEVERITY = 4;
/** u16 len | level name */
export const OP_SET_SEVERITY_TEXT = 5;

export const NEEDS_BODY = 1;
export const NEEDS_ATTRIBUTES = 2;
/** Only the attributes listed by the optional export flowlog_attr_keys (u32 count, count × [u16 len | bytes]). */
export const NEEDS_SELECTED_ATTRIBUTES = 4;

export const REQUIRED_EXPORTS = [
  'flowlog_abi_version',
  'flowlog_needs',
  'flowlog_input',
  'flowlog_init',
  'flowlog_process',
  'flowlog_statuses',
  'flowlog_output',
  'flowlog_output_len',
] as const;

/** The exports of an instantiated module, typed. */
export interface AbiExports {
  flowlog_abi_version(): number;
  flowlog_needs(): number;
  flowlog_input(bytes: number, count: number): number;
  flowlog_init(ptr: number, len: number): number;
  flowlog_process(count: number, bytes: number): number;
  flowlog_statuses(): number;
  flowlog_output(): number;
  flowlog_output_len(): number;
  flowlog_attr_keys?(): number;
}

/** The only imports a module may declare: its memory, the log function and AssemblyScript's abort (log + trap). */
export const ALLOWED_IMPORTS: ReadonlySet<string> = new Set(['env.memory:memory', 'flowlog.log:function', 'env.abort:function']);

/** Pages (64 KiB) a module's imported memory declares as its minimum, read from the import section. */
export function importedMemoryMinimum(bytes: Uint8Array): number | undefined {
  try {
    const r = new Reader(bytes, 8); // magic + version
    while (r.pos < bytes.length) {
      const id = r.byte();
      const size = r.u32();
      if (id !== 2) {
        r.skip(size);
        continue;
      }
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        r.skipName();
        r.skipName();
        const kind = r.byte();
        if (kind === 0) r.u32(); // function: type index
        else if (kind === 1 || kind === 2) {
          if (kind === 1) r.byte(); // table: reftype
          const flags = r.byte();
          const min = r.u32();
          if (flags & 1) r.u32();
          if (kind === 2) return min;
        } else if (kind === 3) r.skip(2); // global: valtype + mut
        else return undefined;
      }
      return undefined;
    }
  } catch (e) {
    if (!(e instanceof MeterRefused)) throw e; // malformed: the compile step reports it
  }
  return undefined;
}
