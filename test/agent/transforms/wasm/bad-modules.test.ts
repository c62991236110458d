// Bad modules are refused at load with a clear error, or contained per batch (trap, runaway loop,
// unbounded memory growth, out-of-range statuses) while the other batches keep flowing; on_error
// decides what happens to the failed batch and every failure is counted.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isFlowlogError } from '../../../../core/errors.js';
import type { LogEvent } from '../../../../core/event.js';
import { ev, fixture, make, metrics } from './helpers.js';

const wasm = (name: string, extra: Record<string, unknown> = {}) => make('wasm', { module: fixture(name), reload_interval_ms: 0, ...extra });

function refused(fn: () => unknown, code: string, text: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(isFlowlogError(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    expect((e as Error).message).toMatch(text);
    return;
  }
  throw new Error('expected the module to be refused');
}

describe('refused at load', () => {
  test('a module without the ABI exports', () => {
    refused(() => wasm('noexports'), 'FLOWLOG_TRANSFORM_LOAD', /missing ABI exports flowlog_abi_version, flowlog_needs/);
  });
  test('a module that imports a host function (no host access)', () => {
    refused(() => wasm('hostaccess'), 'FLOWLOG_TRANSFORM_LOAD', /imports env\.Date\.now.*may only import env\.memory, flowlog\.log and env\.abort/);
  });
  test('bytes that are not WebAssembly (e.g. a truncated file)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlog-wasm-'));
    const half = join(dir, 'half.wasm');
    const bytes = readFileSync(fixture('version_a'));
    writeFileSync(half, bytes.subarray(0, bytes.length >> 1));
    refused(() => make('wasm', { module: half }), 'FLOWLOG_TRANSFORM_LOAD', /not a valid WebAssembly module .*truncated/);
  });
  test('a sha256 pin that does not match', () => {
    refused(() => wasm('version_a', { sha256: 'ab'.repeat(32) }), 'FLOWLOG_TRANSFORM_LOAD', /sha256 is [0-9a-f]{64}, the config pins abab/);
  });
  test('a module whose flowlog_init never returns is stopped by the time budget and refused', () => {
    refused(() => wasm('initloop', { time_budget_ms: 200 }), 'FLOWLOG_TRANSFORM_LOAD', /initloop\.wasm: module exceeded its time budget of 200 ms in flowlog_init; stopped/);
  });
  test('a wrong ABI version', () => {
    refused(() => wasm('abi2'), 'FLOWLOG_TRANSFORM_LOAD', /ABI version 2, this agent supports 1; rebuild/);
  });
});

const errors = (name: string, kind: string) => metrics.valueOf('flowlog_transform_errors_total', { transform: name, kind }) ?? 0;
const failedEvents = (name: string, action: string) => metrics.valueOf('flowlog_transform_error_events_total', { transform: name, action }) ?? 0;
const batch = (tag: string, n = 5) => Array.from({ length: n }, (_, i) => ev(`${tag} record ${i}`, { i }));
const bodies = (es: LogEvent[]) => es.map((e) => e.body);

describe('contained per batch; the next batches flow', () => {
  test('a trap: on_error pass hands the batch on unchanged, the instance is recreated', async () => {
    const t = wasm('trap', { on_error: 'pass' });
    const before = errors('trap', 'trap');
    const good1 = batch('ok-1');
    expect(bodies(await t.process(good1))).toEqual(bodies(good1));
    const bad = [...batch('before'), ev('this one will TRAP'), ...batch('after')];
    const out = await t.process(bad);
    expect(out).toEqual(bad);
    const good2 = batch('ok-2');
    expect(bodies(await t.process(good2))).toEqual(bodies(good2));
    expect(errors('trap', 'trap')).toBe(before + 1);
    expect(failedEvents('trap', 'pass')).toBeGreaterThanOrEqual(bad.length);
    await t.close();
  });

  test.each([
    ['on the calling thread (the metered module stops at its next check, instance recreated)', false],
    ['in a worker thread (worker terminated, respawned)', true],
  ])('a runaway loop is stopped by the time budget %s; on_error drop', async (_label, workerThread) => {
    const t = wasm('loop', { on_error: 'drop', time_budget_ms: 300, worker_thread: workerThread });
    const before = errors('loop', 'timeout');
    const t0 = performance.now();
    expect(await t.process([ev('LOOP forever'), ...batch('x')])).toEqual([]);
    const stoppedAfter = performance.now() - t0;
    expect(stoppedAfter).toBeGreaterThanOrEqual(290); // it ran until the budget, not a refusal up front
    const good = batch('after-loop');
    expect(bodies(await t.process(good))).toEqual(bodies(good));
    expect(errors('loop', 'timeout')).toBe(before + 1);
    await t.close();
  });

  test('unbounded memory growth hits max_memory_pages and traps; on_error dead_letter writes the batch to its file (0600)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowlog-wasm-dl-'));
    const path = join(dir, 'dl', 'grow.ndjson');
    const t = wasm('grow', { on_error: 'dead_letter', max_memory_pages: 64, dead_letter: { path } });
    const bad = [ev('first'), ev('GROW please'), ev('third')];
    expect(await t.process(bad)).toEqual([]);
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l).body);
    expect(lines).toEqual(['first', 'GROW please', 'third']);
    expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
    const good = batch('after-grow');
    expect(bodies(await t.process(good))).toEqual(bodies(good));
    expect(errors('grow', 'trap')).toBeGreaterThanOrEqual(1);
    expect(failedEvents('grow', 'dead_letter')).toBeGreaterThanOrEqual(3);
    await t.close();
  });

  test('out-of-range statuses are an ABI error for that batch only', async () => {
    const t = wasm('badstatus', { on_error: 'drop', time_budget_ms: 0 });
    const before = errors('badstatus', 'abi');
    expect(await t.process([ev('fine'), ev('BAD status')])).toEqual([]);
    const good = batch('fine');
    expect(bodies(await t.process(good))).toEqual(bodies(good));
    expect(errors('badstatus', 'abi')).toBe(before + 1);
    await t.close();
  });
});

describe('worker thread with batches queued (worker_thread: true)', () => {
  test('a runaway batch among queued ones: it alone fails, the ones behind it run on the respawned worker, in order', async () => {
    const t = wasm('loop', { on_error: 'drop', time_budget_ms: 300, worker_thread: true });
    expect(t.concurrency).toBeGreaterThan(1);
    const before = errors('loop', 'timeout');
    const b1 = batch('one');
    const b3 = batch('three');
    const b4 = batch('four');
    // all four handed over before any result: three wait on the worker behind the runaway one
    const results = [t.process(b1), t.process([ev('LOOP forever'), ...batch('two')]), t.process(b3), t.process(b4)];
    const out = await Promise.all(results);
    expect(out.map(bodies)).toEqual([bodies(b1), [], bodies(b3), bodies(b4)]);
    expect(errors('loop', 'timeout')).toBe(before + 1);
    await t.close();
  });
});
