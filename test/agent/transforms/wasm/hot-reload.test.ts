// Hot reload: the module file is replaced while batches keep flowing. Every record comes out exactly
// once and in order; the version switches once, from a to b; a half-written file is never loaded; a
// replacement that fails the sha256 pin is refused and the running version stays.
import { copyFileSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { sha256Hex } from '../../../../agent/transforms/wasm/module-cache.js';
import type { WasmTransform } from '../../../../agent/transforms/wasm/runtime.js';
import type { LogEvent } from '../../../../core/event.js';
import { ev, fixture, make, metrics } from './helpers.js';

const reloads = (name: string, result: string) => metrics.valueOf('flowlog_transform_reloads_total', { transform: name, result }) ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends numbered batches until `until()` holds (bounded by a deadline, not a timing assertion). */
async function pump(t: WasmTransform, state: { seq: number; out: LogEvent[] }, until: () => boolean, maxMs = 30_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (!until()) {
    if (Date.now() > deadline) throw new Error('condition not reached while pumping batches');
    const batch = Array.from({ length: 50 }, () => ev(`seq ${state.seq}`, { seq: state.seq++ }));
    state.out.push(...(await t.process(batch)));
    await sleep(10);
  }
}

test('replacing the module mid-stream: no loss, no reordering, a half-written file is not loaded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlog-reload-'));
  const path = join(dir, 'tagger.wasm');
  copyFileSync(fixture('version_a'), path);
  const t = make('wasm', { module: path, reload_interval_ms: 50 });
  const state = { seq: 0, out: [] as LogEvent[] };
  const okBefore = reloads('tagger', 'ok');
  const failedBefore = reloads('tagger', 'failed');

  await pump(t, state, () => state.seq >= 500);
  // a writer that stopped halfway: the file is invalid until it finishes
  const b = readFileSync(fixture('version_b'));
  writeFileSync(path, b.subarray(0, b.length >> 1));
  await pump(t, state, () => reloads('tagger', 'failed') > failedBefore);
  writeFileSync(path, b);
  await pump(t, state, () => reloads('tagger', 'ok') > okBefore && state.out.at(-1)?.attributes.version === 'b');
  const target = state.seq + 200;
  await pump(t, state, () => state.seq >= target);

  expect(state.out.map((e) => e.attributes.seq)).toEqual(Array.from({ length: state.seq }, (_, i) => i));
  const versions = state.out.map((e) => e.attributes.version);
  const firstB = versions.indexOf('b');
  expect(firstB).toBeGreaterThan(500);
  expect(versions.slice(0, firstB).every((v) => v === 'a')).toBe(true);
  expect(versions.slice(firstB).every((v) => v === 'b')).toBe(true);
  expect(t.moduleSha256).toBe(sha256Hex(b));
  await t.close();
});

test('with a sha256 pin, a replacement with another hash is refused and the pinned version keeps running', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlog-reload-pin-'));
  const path = join(dir, 'pinned.wasm');
  copyFileSync(fixture('version_a'), path);
  const pin = sha256Hex(readFileSync(path));
  const t = make('wasm', { module: path, sha256: pin, reload_interval_ms: 50 });
  const state = { seq: 0, out: [] as LogEvent[] };
  const failedBefore = reloads('pinned', 'failed');
  await pump(t, state, () => state.seq >= 100);
  copyFileSync(fixture('version_b'), join(dir, 'next.wasm'));
  renameSync(join(dir, 'next.wasm'), path); // atomic replace
  await pump(t, state, () => reloads('pinned', 'failed') > failedBefore);
  const target = state.seq + 100;
  await pump(t, state, () => state.seq >= target);
  expect(state.out.map((e) => e.attributes.seq)).toEqual(Array.from({ length: state.seq }, (_, i) => i));
  expect(state.out.every((e) => e.attributes.version === 'a')).toBe(true);
  expect(t.moduleSha256).toBe(pin);
  await t.close();
});
