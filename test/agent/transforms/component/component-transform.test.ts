// A Component Model transform built from AssemblyScript (transforms/components/redact_cards.ts, core
// module from scripts/build-wasm.mjs) wrapped with jco's programmatic componentEmbed + componentNew,
// loaded by the `wasm` transform through jco-transpiled bindings cached on disk.
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { componentFromCore } from '../../../../agent/transforms/component/build.js';
import { isComponent } from '../../../../agent/transforms/component/runtime.js';
import { sha256Hex } from '../../../../agent/transforms/wasm/module-cache.js';
import { ev, make, metrics, root } from '../wasm/helpers.js';

test('a component transform masks Luhn-valid cards, keeps order, and its bindings are cached by sha256', async () => {
  const core = readFileSync(join(root, 'build', 'transforms', 'components', 'redact_cards.core.wasm'));
  const component = await componentFromCore(core);
  expect(isComponent(component)).toBe(true);
  expect(isComponent(core)).toBe(false);
  const dir = mkdtempSync(join(tmpdir(), 'flowlog-component-'));
  const path = join(dir, 'redact_cards.wasm');
  writeFileSync(path, component);
  const dataDir = join(dir, 'data');

  const t = make('wasm', { module: path, sha256: sha256Hex(component) }, dataDir);
  const events = Array.from({ length: 5000 }, (_, i) =>
    ev(i % 2 ? `order ${i} paid with 4111 1111 1111 1111` : `order ${i} ref 4111111111111112`, { seq: i }),
  );
  const out = await t.process(events);
  expect(out.map((e) => e.attributes.seq)).toEqual(events.map((_, i) => i));
  expect(out[1]!.body).toBe('order 1 paid with **** **** **** ****');
  expect(out[0]!.body).toBe('order 0 ref 4111111111111112');
  expect(out[0]).toBe(events[0]); // unmodified records pass through untouched
  const cache = join(dataDir, 'transforms', 'jco-cache', sha256Hex(component));
  expect(existsSync(join(cache, 'transform.js'))).toBe(true);
  expect(readdirSync(cache).filter((f) => f.endsWith('.wasm')).length).toBeGreaterThan(0);
  await t.close?.();

  // a second transform from the same component reuses the cached bindings and behaves the same
  const t2 = make('wasm', { module: path }, dataDir);
  expect((await t2.process([ev('card 5500-0000-0000-0004')]))[0]!.body).toBe('card ****-****-****-****');
  await t2.close?.();
  expect(metrics.valueOf('flowlog_transform_events_total', { transform: 'redact_cards', outcome: 'in' })).toBe(5001);
}, 60_000);

test('a component with another sha256 than pinned is refused', async () => {
  const core = readFileSync(join(root, 'build', 'transforms', 'components', 'redact_cards.core.wasm'));
  const path = join(mkdtempSync(join(tmpdir(), 'flowlog-component-')), 'c.wasm');
  writeFileSync(path, await componentFromCore(core));
  expect(() => make('wasm', { module: path, sha256: '0'.repeat(64) })).toThrow(/sha256 is [0-9a-f]{64}, the config pins 0000/);
}, 60_000);
