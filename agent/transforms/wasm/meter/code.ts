// Copies WebAssembly expressions (function bodies, constant expressions) instruction by instruction,
// renumbering functions after the inserted import and, in function bodies, putting a fuel check at
// the top of every loop; module.ts adds one at the entry of every function that calls. With both,
// no code runs long without passing a check: loops are the only back-edges, and code without loops
// is bounded by its size times the calls made, which the callers' entry checks count (a function
// that calls nothing cannot recurse, so it needs no entry check of its own). Opcodes the walker
// does not know refuse the module (tail calls, exceptions, atomics, GC): those modules run
// unmetered, under the watchdog.
import { MeterRefused, type Reader, type Writer } from './bytes.js';

export interface Renumber {
  /** Functions imported by the original module: indices from here on move up by one. */
  funcImports: number;
  /** Index of the fuel global (i32, mutable). */
  fuel: number;
  /** Index of the imported tick function: () -> i32, returns the next fuel slice or throws. */
  tick: number;
}

/** Value types of one byte: i32 i64 f32 f64 v128 funcref externref. */
export const VALTYPES: ReadonlySet<number> = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]);

/** if (fuel == 0) fuel = tick(); fuel -= 1 */
export function writeCheck(w: Writer, n: Renumber): void {
  w.byte(0x23), w.u32(n.fuel); // global.get
  w.byte(0x45); // i32.eqz
  w.byte(0x04), w.byte(0x40); // if (no result)
  w.byte(0x10), w.u32(n.tick); // call tick
  w.byte(0x24), w.u32(n.fuel); // global.set
  w.byte(0x0b); // end
  w.byte(0x23), w.u32(n.fuel);
  w.byte(0x41), w.byte(0x01); // i32.const 1
  w.byte(0x6b); // i32.sub
  w.byte(0x24), w.u32(n.fuel);
}

function blockType(r: Reader): void {
  const b = r.b[r.pos];
  if (b === 0x40 || (b !== undefined && VALTYPES.has(b))) {
    r.pos++;
    return;
  }
  if (r.signed() < 0) throw new MeterRefused(`unknown block type at byte ${r.pos}`);
}

function memarg(r: Reader): void {
  const align = r.u32();
  if ((align & 0x40) !== 0) r.u32(); // multi-memory: memory index
  r.u32(); // offset
}

/** 0xFC prefix: saturating truncations, bulk memory, table operations. */
function miscOp(r: Reader): void {
  const sub = r.u32();
  if (sub <= 7) return;
  if (sub === 8 || sub === 10 || sub === 12 || sub === 14) (r.u32(), r.u32());
  else if (sub === 9 || sub === 11 || sub === 13 || sub === 15 || sub === 16 || sub === 17) r.u32();
  else throw new MeterRefused(`unknown 0xFC ${sub} at byte ${r.pos}`);
}

/** 0xFD prefix: fixed-width SIMD and relaxed SIMD. */
function simdOp(r: Reader): void {
  const sub = r.u32();
  if (sub <= 11 || sub === 92 || sub === 93) memarg(r); // loads, stores, load_zero
  else if (sub === 12 || sub === 13) r.skip(16); // v128.const, i8x16.shuffle
  else if (sub >= 21 && sub <= 34) r.skip(1); // extract/replace lane
  else if (sub >= 84 && sub <= 91) (memarg(r), r.skip(1)); // load/store lane
  else if (sub > 0x113) throw new MeterRefused(`unknown 0xFD ${sub} at byte ${r.pos}`);
}

/**
 * Copies one expression from `r` (ending with its final `end`) to `w`; `meter` inserts a check at
 * the top of each loop. Returns whether the expression calls a function (call, call_indirect).
 */
export function copyExpr(r: Reader, w: Writer, n: Renumber, meter: boolean): boolean {
  let from = r.pos;
  const flush = (to: number) => {
    w.bytes(r.b.subarray(from, to));
    from = to;
  };
  let calls = false;
  let depth = 0;
  for (;;) {
    const op = r.byte();
    switch (op) {
      case 0x02: // block
      case 0x04: // if
        blockType(r);
        depth++;
        break;
      case 0x03: // loop
        blockType(r);
        depth++;
        if (meter) {
          flush(r.pos);
          writeCheck(w, n);
        }
        break;
      case 0x0b: // end
        if (depth-- === 0) {
          flush(r.pos);
          return calls;
        }
        break;
      case 0x10: // call
      case 0xd2: {
        // ref.func
        if (op === 0x10) calls = true;
        const at = r.pos;
        const idx = r.u32();
        if (idx >= n.funcImports) {
          flush(at);
          w.u32(idx + 1);
          from = r.pos;
        }
        break;
      }
      case 0x00: case 0x01: case 0x05: case 0x0f: case 0x1a: case 0x1b: case 0xd1:
        break;
      case 0x0c: case 0x0d: // br, br_if
      case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26: // locals, globals, tables
      case 0x3f: case 0x40: // memory.size, memory.grow
        r.u32();
        break;
      case 0x0e: {
        // br_table
        const count = r.u32();
        for (let i = 0; i <= count; i++) r.u32();
        break;
      }
      case 0x11: // call_indirect: type, table
        calls = true;
        r.u32();
        r.u32();
        break;
      case 0x1c: {
        // select with types
        const count = r.u32();
        for (let i = 0; i < count; i++) if (!VALTYPES.has(r.byte())) throw new MeterRefused(`unknown select type at byte ${r.pos}`);
        break;
      }
      case 0x41: case 0x42: // i32.const, i64.const
        r.signed();
        break;
      case 0x43:
        r.skip(4);
        break;
      case 0x44:
        r.skip(8);
        break;
      case 0xd0: {
        // ref.null
        const t = r.byte();
        if (t !== 0x70 && t !== 0x6f) throw new MeterRefused(`unknown heap type at byte ${r.pos}`);
        break;
      }
      case 0xfc:
        miscOp(r);
        break;
      case 0xfd:
        simdOp(r);
        break;
      default:
        if (op >= 0x28 && op <= 0x3e) memarg(r); // loads and stores
        else if (op < 0x45 || op > 0xc4) throw new MeterRefused(`opcode 0x${op.toString(16)} at byte ${r.pos - 1} is not supported by the meter`);
      // 0x45-0xc4: numeric instructions without immediates
    }
  }
}
