// The loop meter (agent/transforms/wasm/meter/): a rewritten module computes exactly what the
// original does, counts every loop iteration and call, keeps its function names, and stops at its
// time budget even when the runaway code has no loop at all. A module the meter does not know
// (here: tail calls) is refused by the meter and still stopped, by the vm watchdog instead.
// Fixtures are WebAssembly text assembled with binaryen (a devDependency for exactly this).
import binaryen from 'binaryen';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FUEL_SLICE } from '../../../../agent/transforms/wasm/instance.js';
import { MeterRefused, METER_MODULE, METER_TICK, meterModule } from '../../../../agent/transforms/wasm/meter/index.js';
import { loadModuleBytes } from '../../../../agent/transforms/wasm/module-cache.js';
import { ev, log, make, metrics } from './helpers.js';

function assemble(wat: string, names = false): Uint8Array {
  const m = binaryen.parseText(wat);
  m.setFeatures(binaryen.Features.All);
  if (!m.validate()) throw new Error('fixture does not validate');
  binaryen.setDebugInfo(names);
  try {
    return m.emitBinary();
  } finally {
    binaryen.setDebugInfo(false);
    m.dispose();
  }
}

// An imported function before the module's own (so every function index moves), a table filled
// by an element segment, call_indirect, a start function, a mutable global and exports.
const SPIN = `(module
 (import "env" "memory" (memory 1))
 (import "flowlog" "log" (func $log (param i32 i32 i32)))
 (type $unary (func (param i32) (result i32)))
 (table 2 funcref)
 (elem (i32.const 0) $double $inc)
 (global $g (mut i32) (i32.const 7))
 (start $init)
 (func $init (global.set $g (i32.const 5)))
 (func $double (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
 (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
 (func $spin (export "spin") (param $n i32) (result i32) (local $s i32)
  (loop $l
   (local.set $s (i32.add (local.get $s) (call_indirect (type $unary) (local.get $n) (i32.and (local.get $n) (i32.const 1)))))
   (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
  (i32.add (local.get $s) (global.get $g)))
 (func $boom (export "boom") (unreachable))
)`;

const hostImports = { env: { memory: new WebAssembly.Memory({ initial: 1 }) }, flowlog: { log: () => undefined } };

describe('the rewritten module', () => {
  test('computes what the original computes, and counts each loop iteration and each entry of a function that calls', () => {
    const original = assemble(SPIN);
    const plain = new WebAssembly.Instance(new WebAssembly.Module(original), hostImports).exports as { spin(n: number): number };
    let ticks = 0;
    const metered = new WebAssembly.Instance(new WebAssembly.Module(meterModule(original)), {
      ...hostImports,
      [METER_MODULE]: { [METER_TICK]: () => (ticks++, FUEL_SLICE) },
    }).exports as { spin(n: number): number };
    const n = 100_000;
    expect(metered.spin(n)).toBe(plain.spin(n));
    expect(plain.spin(3)).toBe(3 * 2 + 2 * 1 + 1 * 2 + 5); // odd n doubles, even n increments, plus $g set by start
    // checks passed: spin's entry (it calls) and n loop tops; $init, $double and $inc call nothing,
    // so they have no entry check (their own code is bounded by its size)
    const checks = 1 + n;
    expect(ticks).toBe(Math.ceil(checks / FUEL_SLICE));
  });

  test('keeps its function names (the name section is renumbered with the functions)', () => {
    const mod = new WebAssembly.Module(meterModule(assemble(SPIN, true)));
    const x = new WebAssembly.Instance(mod, { ...hostImports, [METER_MODULE]: { [METER_TICK]: () => FUEL_SLICE } }).exports as { boom(): void };
    let stack = '';
    try {
      x.boom();
    } catch (e) {
      stack = (e as Error).stack ?? '';
    }
    expect(stack).toMatch(/unreachable/);
    expect(stack).toMatch(/ at boom \(wasm:/);
    expect(stack).not.toMatch(/ at spin /);
  });

  test('every module the build makes can be metered (built-ins and test fixtures)', () => {
    const build = join(import.meta.dirname, '..', '..', '..', '..', 'build');
    const files = ['transforms', 'test-transforms'].flatMap((d) =>
      readdirSync(join(build, d)).filter((f) => f.endsWith('.wasm')).map((f) => join(build, d, f)),
    );
    expect(files.length).toBeGreaterThanOrEqual(19); // 9 built-ins, 10 fixtures
    for (const f of files) {
      const out = meterModule(readFileSync(f));
      const imports = WebAssembly.Module.imports(new WebAssembly.Module(out)).map((i) => `${i.module}.${i.name}`);
      expect(imports, f).toContain(`${METER_MODULE}.${METER_TICK}`);
    }
  });
});

/** A module with the flowlog ABI whose flowlog_process runs `body`; `extra` adds functions. */
function abiModule(body: string, extra = ''): string {
  return `(module
 (import "env" "memory" (memory 2))
 (func (export "flowlog_abi_version") (result i32) (i32.const 1))
 (func (export "flowlog_needs") (result i32) (i32.const 1))
 (func (export "flowlog_input") (param i32 i32) (result i32) (i32.const 1024))
 (func (export "flowlog_init") (param i32 i32) (result i32) (i32.const 0))
 (func (export "flowlog_process") (param $count i32) (param $bytes i32) (result i32) ${body})
 (func (export "flowlog_statuses") (result i32) (i32.const 65536))
 (func (export "flowlog_output") (result i32) (i32.const 0))
 (func (export "flowlog_output_len") (result i32) (i32.const 0))
 ${extra}
)`;
}

function moduleFile(name: string, wat: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowlog-meter-'));
  const path = join(dir, `${name}.wasm`);
  writeFileSync(path, assemble(wat));
  return path;
}

const timeouts = (name: string) => metrics.valueOf('flowlog_transform_errors_total', { transform: name, kind: 'timeout' }) ?? 0;

async function stoppedByBudget(name: string, wat: string): Promise<number> {
  const t = make('wasm', { module: moduleFile(name, wat), reload_interval_ms: 0, on_error: 'drop', time_budget_ms: 200 });
  const before = timeouts(name);
  const t0 = performance.now();
  expect(await t.process([ev('a'), ev('b')])).toEqual([]);
  const took = performance.now() - t0;
  expect(timeouts(name)).toBe(before + 1);
  await t.close();
  return took;
}

describe('the time budget', () => {
  test('stops exponential recursion that has no loop (the function-entry checks count it)', async () => {
    const fib = `(func $fib (param $n i32) (result i32)
      (if (result i32) (i32.lt_u (local.get $n) (i32.const 2)) (then (local.get $n))
        (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2)))))))`;
    const wat = abiModule('(drop (call $fib (i32.const 60))) (i32.const 0)', fib);
    expect(loadModuleBytes(assemble(wat), 'fib').metered).not.toBeNull();
    const took = await stoppedByBudget('fib', wat);
    expect(took).toBeGreaterThanOrEqual(195); // it ran until the budget
  });

  test('a start function that never returns is stopped at load, and the module refused', () => {
    const wat = abiModule('(i32.const 0)', '(start $forever) (func $forever (loop $l (br $l)))');
    const t0 = performance.now();
    let err: unknown;
    try {
      make('wasm', { module: moduleFile('forever', wat), reload_interval_ms: 0, time_budget_ms: 200 });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'FLOWLOG_TRANSFORM_LOAD' });
    expect((err as Error).message).toMatch(/forever\.wasm: instantiation failed: did not finish within its time budget of 200 ms/);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(195);
  });

  test('a module the meter refuses (a tail-call loop) runs unmetered and the watchdog stops it', async () => {
    const spin = '(func $again (param i32) (result i32) (return_call $again (local.get 0)))';
    const wat = abiModule('(call $again (i32.const 0))', spin);
    expect(() => meterModule(assemble(wat))).toThrow(MeterRefused);
    const loaded = loadModuleBytes(assemble(wat), 'tail');
    expect(loaded.metered).toBeNull();
    expect(loaded.meterRefusal).toMatch(/opcode 0x12 .* not supported by the meter/);
    const took = await stoppedByBudget('tail', wat);
    expect(took).toBeGreaterThanOrEqual(195);
    const note = log.records.find((r) => r.msg === 'transform module runs under the vm watchdog (a thread per batch): the meter cannot rewrite it' && String(r.module).endsWith('tail.wasm'));
    expect(note?.reason).toMatch(/opcode 0x12/);
  });
});
