// Shared helpers for the WASM transform tests: build transforms through the registry (as a config
// would), make events, locate the fixture modules built by scripts/build-wasm.mjs (npm test's setup).
import { existsSync } from 'node:fs';
import { afterAll } from 'vitest';
import { join } from 'node:path';
import { registerAll } from '../../../../cli/components.js';
import type { Transform } from '../../../../core/component.js';
import { newEvent, type Attributes, type LogEvent } from '../../../../core/event.js';
import { getComponent } from '../../../../core/registry.js';
import { Metrics } from '../../../../core/telemetry/metrics.js';
import { memoryLogger } from '../../../../core/telemetry/logger.js';
import type { WasmTransform } from '../../../../agent/transforms/wasm/runtime.js';
import { setTransformTelemetry } from '../../../../agent/transforms/wasm/runtime.js';

export const root = join(import.meta.dirname, '..', '..', '..', '..');
export const metrics = new Metrics();
export const log = memoryLogger();
setTransformTelemetry(metrics, log);
registerAll();

export function fixture(name: string): string {
  const p = join(root, 'build', 'test-transforms', `${name}.wasm`);
  if (!existsSync(p)) throw new Error(`${p} missing: run node scripts/build-wasm.mjs`);
  return p;
}

export function make(type: string, cfg: Record<string, unknown>, dataDir = '/tmp/flowlog-test-unused'): WasmTransform {
  const def = getComponent('transform', type);
  if (!def) throw new Error(`no transform ${type}`);
  return def.build(def.schema.parse(cfg), { configDir: root, dataDir }) as Transform as WasmTransform;
}

export function ev(body: string, attributes: Attributes = {}, severityNumber = 0): LogEvent {
  const e = newEvent(body, attributes);
  e.severityNumber = severityNumber;
  return e;
}

export async function run(t: Transform, events: LogEvent[]): Promise<LogEvent[]> {
  return await t.process(events);
}

/** A maker of inline transforms (no time budget) that the calling test file closes after its tests. */
export function inlineMaker(): (type: string, cfg: Record<string, unknown>) => WasmTransform {
  const open: WasmTransform[] = [];
  afterAll(async () => {
    for (const x of open) await x.close();
  });
  return (type, cfg) => {
    const x = make(type, { time_budget_ms: 0, ...cfg });
    open.push(x);
    return x;
  };
}
