// Rewrites a module so that it counts its own progress: one new import (`flowlog_meter.tick`, a
// function () -> i32), one new mutable i32 global (the fuel), and a check at every loop top and at
// the entry of every function that calls, which calls tick when the fuel runs out. The host's tick compares the clock with the
// batch's deadline and throws to stop the module, or returns the next slice of fuel. This replaces
// a watchdog thread per call (docs/transforms.md, "time budget"). Functions are renumbered (the
// import comes first), so calls, ref.func, exports, the start function, element segments and the
// name section are rewritten; everything else is copied as is.
import { MeterRefused, Reader, Writer, section } from './bytes.js';
import { VALTYPES, copyExpr, writeCheck, type Renumber } from './code.js';

export const METER_MODULE = 'flowlog_meter';
export const METER_TICK = 'tick';

const S_CUSTOM = 0, S_TYPE = 1, S_IMPORT = 2, S_GLOBAL = 6, S_EXPORT = 7, S_START = 8, S_ELEM = 9, S_CODE = 10;
/** Where each known section id sits in the required order (data count, 12, comes before code). */
const ORDER: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };

interface Section {
  id: number;
  start: number;
  end: number;
}

function readSections(b: Uint8Array): Section[] {
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (b.length < 8 || magic.some((x, i) => b[i] !== x)) throw new MeterRefused('not a WebAssembly 1.0 module');
  const r = new Reader(b, 8);
  const out: Section[] = [];
  while (r.pos < b.length) {
    const id = r.byte();
    const size = r.u32();
    const start = r.pos;
    r.skip(size);
    if (id !== S_CUSTOM && ORDER[id] === undefined) throw new MeterRefused(`section ${id} is not supported by the meter`);
    out.push({ id, start, end: r.pos });
  }
  return out;
}

function limits(r: Reader): void {
  const flags = r.byte();
  r.signed(); // min (memory64 limits are u64: read as LEB of any width)
  if ((flags & 1) !== 0) r.signed();
}

/** Counts imported functions and globals; returns the import section's entries and their count. */
function scanImports(b: Uint8Array, s: Section | undefined) {
  let funcs = 0, globals = 0, count = 0;
  if (!s) return { funcs, globals, count, entries: new Uint8Array(0) };
  const r = new Reader(b, s.start, s.end);
  count = r.u32();
  const first = r.pos;
  for (let i = 0; i < count; i++) {
    r.skipName();
    r.skipName();
    const kind = r.byte();
    if (kind === 0) (r.u32(), funcs++);
    else if (kind === 1) (r.byte(), limits(r));
    else if (kind === 2) limits(r);
    else if (kind === 3) (r.byte(), r.byte(), globals++);
    else throw new MeterRefused(`import kind ${kind} is not supported by the meter`);
  }
  return { funcs, globals, count, entries: b.subarray(first, s.end) };
}

/** The type section with a () -> i32 type (found or appended), and that type's index. */
function tickType(b: Uint8Array, s: Section | undefined): { body: Uint8Array; index: number } {
  const w = new Writer();
  if (!s) {
    w.u32(1), w.bytes(Uint8Array.of(0x60, 0x00, 0x01, 0x7f));
    return { body: w.finish(), index: 0 };
  }
  const r = new Reader(b, s.start, s.end);
  const count = r.u32();
  const first = r.pos;
  for (let i = 0; i < count; i++) {
    if (r.byte() !== 0x60) throw new MeterRefused('only function types are supported by the meter');
    const params = r.u32();
    for (let j = 0; j < params; j++) if (!VALTYPES.has(r.byte())) throw new MeterRefused('unknown parameter type');
    const results = r.u32();
    const resultAt = r.pos;
    for (let j = 0; j < results; j++) if (!VALTYPES.has(r.byte())) throw new MeterRefused('unknown result type');
    if (params === 0 && results === 1 && b[resultAt] === 0x7f) return { body: b.subarray(s.start, s.end), index: i };
  }
  w.u32(count + 1), w.bytes(b.subarray(first, s.end)), w.bytes(Uint8Array.of(0x60, 0x00, 0x01, 0x7f));
  return { body: w.finish(), index: count };
}

/** The global section with the fuel global appended. */
function rewriteGlobals(b: Uint8Array, s: Section | undefined, n: Renumber): Uint8Array {
  const w = new Writer();
  const r = s ? new Reader(b, s.start, s.end) : null;
  const count = r ? r.u32() : 0;
  w.u32(count + 1);
  for (let i = 0; i < count; i++) {
    w.bytes(b.subarray(r!.pos, r!.pos + 2)); // value type, mutability
    r!.skip(2);
    copyExpr(r!, w, n, false);
  }
  w.bytes(Uint8Array.of(0x7f, 0x01, 0x41, 0x00, 0x0b)); // (global (mut i32) (i32.const 0))
  return w.finish();
}

function countGlobals(b: Uint8Array, s: Section | undefined): number {
  return s ? new Reader(b, s.start, s.end).u32() : 0;
}

function rewriteExports(b: Uint8Array, s: Section, n: Renumber): Uint8Array {
  const r = new Reader(b, s.start, s.end);
  const w = new Writer();
  const count = r.u32();
  w.u32(count);
  for (let i = 0; i < count; i++) {
    const at = r.pos;
    r.skipName();
    const kind = r.byte();
    w.bytes(b.subarray(at, r.pos));
    const idx = r.u32();
    w.u32(kind === 0 && idx >= n.funcImports ? idx + 1 : idx);
  }
  return w.finish();
}

function funcIndex(r: Reader, w: Writer, n: Renumber): void {
  const idx = r.u32();
  w.u32(idx >= n.funcImports ? idx + 1 : idx);
}

function rewriteElements(b: Uint8Array, s: Section, n: Renumber): Uint8Array {
  const r = new Reader(b, s.start, s.end);
  const w = new Writer();
  const count = r.u32();
  w.u32(count);
  for (let i = 0; i < count; i++) {
    const flags = r.u32();
    if (flags > 7) throw new MeterRefused(`element segment kind ${flags}`);
    w.u32(flags);
    if (flags === 2 || flags === 6) w.u32(r.u32()); // table index
    if ((flags & 1) === 0) copyExpr(r, w, n, false); // active: offset
    if ((flags & 3) !== 0) w.byte(r.byte()); // elemkind or reftype
    const items = r.u32();
    w.u32(items);
    for (let j = 0; j < items; j++) {
      if ((flags & 4) !== 0) copyExpr(r, w, n, false);
      else funcIndex(r, w, n);
    }
  }
  return w.finish();
}

function rewriteCode(b: Uint8Array, s: Section, n: Renumber): Uint8Array {
  const r = new Reader(b, s.start, s.end);
  const w = new Writer();
  const count = r.u32();
  w.u32(count);
  for (let i = 0; i < count; i++) {
    const size = r.u32();
    const start = r.pos;
    const body = new Reader(b, start, start + size);
    r.skip(size);
    const locals = body.u32();
    for (let j = 0; j < locals; j++) (body.u32(), body.byte());
    const fw = new Writer();
    fw.bytes(b.subarray(start, body.pos)); // the local declarations
    const ew = new Writer();
    if (copyExpr(body, ew, n, true)) writeCheck(fw, n); // the entry check, for functions that call
    if (body.pos !== body.end) throw new MeterRefused(`function ${i}: code after its end`);
    fw.bytes(ew.finish());
    const out = fw.finish();
    w.u32(out.length);
    w.bytes(out);
  }
  return w.finish();
}

/** The name section with function and local names renumbered; other name kinds are dropped. */
function rewriteNames(b: Uint8Array, s: Section, n: Renumber): Uint8Array {
  const r = new Reader(b, s.start, s.end);
  const w = new Writer();
  const nameStart = r.pos;
  r.skipName();
  w.bytes(b.subarray(nameStart, r.pos));
  while (r.pos < r.end) {
    const id = r.byte();
    const size = r.u32();
    const sub = new Reader(b, r.pos, r.pos + size);
    r.skip(size);
    if (id === 0) section(w, 0, b.subarray(sub.pos, sub.end));
    if (id !== 1 && id !== 2) continue;
    const sw = new Writer();
    const entries = sub.u32();
    sw.u32(entries);
    for (let i = 0; i < entries; i++) {
      funcIndex(sub, sw, n);
      const at = sub.pos;
      if (id === 1) sub.skipName();
      else {
        const locals = sub.u32();
        for (let j = 0; j < locals; j++) (sub.u32(), sub.skipName());
      }
      sw.bytes(b.subarray(at, sub.pos));
    }
    section(w, id, sw.finish());
  }
  return w.finish();
}

function isNameSection(b: Uint8Array, s: Section): boolean {
  const r = new Reader(b, s.start, s.end);
  const len = r.u32();
  return len === 4 && Buffer.from(b.buffer, b.byteOffset + r.pos, 4).toString('latin1') === 'name';
}

/** The metered module, or throws MeterRefused when the module uses something the meter does not know. */
export function meterModule(bytes: Uint8Array): Uint8Array {
  const sections = readSections(bytes);
  const find = (id: number) => sections.find((s) => s.id === id);
  const imports = scanImports(bytes, find(S_IMPORT));
  const types = tickType(bytes, find(S_TYPE));
  const n: Renumber = { funcImports: imports.funcs, tick: imports.funcs, fuel: imports.globals + countGlobals(bytes, find(S_GLOBAL)) };
  const importBody = (() => {
    const w = new Writer();
    w.u32(imports.count + 1);
    w.bytes(imports.entries);
    for (const name of [METER_MODULE, METER_TICK]) {
      const enc = Buffer.from(name, 'utf8');
      w.u32(enc.length), w.bytes(enc);
    }
    w.byte(0x00), w.u32(types.index);
    return w.finish();
  })();
  const out = new Writer();
  out.bytes(bytes.subarray(0, 8));
  const pending = new Map<number, () => Uint8Array>([
    [S_TYPE, () => types.body],
    [S_IMPORT, () => importBody],
    [S_GLOBAL, () => rewriteGlobals(bytes, find(S_GLOBAL), n)],
  ]);
  const emitPending = (before: number) => {
    for (const [id, make] of pending) {
      if (ORDER[id]! < before) {
        section(out, id, make());
        pending.delete(id);
      }
    }
  };
  for (const s of sections) {
    if (s.id !== S_CUSTOM) emitPending(ORDER[s.id]!);
    const make = pending.get(s.id);
    if (make) {
      section(out, s.id, make());
      pending.delete(s.id);
    } else if (s.id === S_EXPORT) section(out, s.id, rewriteExports(bytes, s, n));
    else if (s.id === S_START) {
      const w = new Writer();
      funcIndex(new Reader(bytes, s.start, s.end), w, n);
      section(out, s.id, w.finish());
    } else if (s.id === S_ELEM) section(out, s.id, rewriteElements(bytes, s, n));
    else if (s.id === S_CODE) section(out, s.id, rewriteCode(bytes, s, n));
    else if (s.id === S_CUSTOM && isNameSection(bytes, s)) section(out, s.id, rewriteNames(bytes, s, n));
    else section(out, s.id, bytes.subarray(s.start, s.end));
  }
  emitPending(Infinity);
  const result = out.finish();
  if (!WebAssembly.validate(result)) throw new MeterRefused('the metered module did not validate');
  return result;
}
