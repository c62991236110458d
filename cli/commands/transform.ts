// `flowlog transform build|test|bench`: compile an AssemblyScript transform, run a module (or a
// built-in) over NDJSON records, measure its throughput.
import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeEvent, eventFromWire } from '../../core/codec.js';
import type { Transform } from '../../core/component.js';
import { describeError } from '../../core/errors.js';
import { newEvent, type LogEvent } from '../../core/event.js';
import { getComponent } from '../../core/registry.js';
import { createLogger } from '../../core/telemetry/logger.js';
import { Metrics } from '../../core/telemetry/metrics.js';
import { compileTransform } from '../../agent/transforms/wasm/compile.js';
import { loadModuleBytes, sha256Hex } from '../../agent/transforms/wasm/module-cache.js';
import { setTransformTelemetry } from '../../agent/transforms/wasm/runtime.js';
import { registerAll } from '../components.js';

interface RunOpts {
  config?: string;
  timeBudgetMs?: string;
  maxMemoryPages?: string;
  workerThread?: boolean;
}

function parseConfig(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new Error(`--config must be a JSON object (${(e as Error).message}), e.g. --config '{"word":"ERROR"}'`);
  }
}

/** A built-in by type name (config checked by its schema), or a module file (config handed to init). */
function openTransform(target: string, o: RunOpts, log = createLogger({ level: 'warn' })): Transform {
  registerAll();
  setTransformTelemetry(new Metrics(), log);
  const cfg = parseConfig(o.config);
  const runtime = { time_budget_ms: Number(o.timeBudgetMs ?? 1000), max_memory_pages: Number(o.maxMemoryPages ?? 256), worker_thread: o.workerThread ?? false };
  const def = target.endsWith('.wasm') ? undefined : getComponent('transform', target);
  if (def && target !== 'wasm') {
    return def.build(def.schema.parse({ ...runtime, ...cfg }), { configDir: process.cwd(), dataDir: process.cwd() }) as Transform;
  }
  const wasm = getComponent('transform', 'wasm')!;
  const options = { module: resolve(target), config: cfg, reload_interval_ms: 0, on_error: 'pass', ...runtime };
  // the jco bindings cache of component transforms goes under the temp dir for CLI runs
  return wasm.build(wasm.schema.parse(options), { configDir: process.cwd(), dataDir: join(tmpdir(), `flowlog-cli-${process.getuid?.() ?? 0}`) }) as Transform;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function fail(e: unknown): void {
  process.stderr.write(`flowlog transform: ${describeError(e)}\n`);
  process.exitCode = 1;
}

export function registerTransform(program: Command): void {
  const cmd = program.command('transform').description('build, test and benchmark WASM transforms (docs/transforms.md)');

  cmd
    .command('build')
    .description('compile an AssemblyScript transform (importing "flowlog/sdk") to a flowlog module')
    .argument('<src>', 'AssemblyScript source (.ts)')
    .requiredOption('-o, --out <file>', 'output .wasm file')
    .option('--component', 'build a Component Model transform (WIT world transforms/wit; the source re-exports "flowlog/sdk/component")')
    .action(async (src: string, o: { out: string; component?: boolean }) => {
      try {
        process.stderr.write(`compiling ${src} ...\n`);
        const { binary } = await compileTransform(src, { component: o.component === true });
        if (o.component) {
          const { componentFromCore } = await import('../../agent/transforms/component/build.js');
          const comp = await componentFromCore(binary);
          writeFileSync(o.out, comp);
          process.stderr.write(`${o.out}: component, ${comp.length} bytes, sha256 ${sha256Hex(comp)}\n`);
          return;
        }
        const mod = loadModuleBytes(binary, src); // the same checks the agent makes
        writeFileSync(o.out, binary);
        const budget = mod.metered ? 'time budget: metered (a fuel check in its loops)' : `time budget: vm watchdog, the meter refused it (${mod.meterRefusal})`;
        process.stderr.write(`${o.out}: ${binary.length} bytes, sha256 ${mod.sha256}; ${budget}\n`);
      } catch (e) {
        fail(e);
      }
    });

  cmd
    .command('test')
    .description('run a module (or a built-in by name, e.g. "redact") over NDJSON records from stdin; kept and modified records go to stdout, counts to stderr')
    .argument('<module>', 'MODULE.wasm or a built-in transform type')
    .option('--config <json>', 'config as JSON (a built-in: its options; a module: handed to its init)')
    .option('--time-budget-ms <n>', 'per-batch time budget (0: none)', '1000')
    .option('--max-memory-pages <n>', 'memory cap in 64 KiB pages', '256')
    .addHelpText('after', '\nInput lines are flowlog wire events ({"body": ..., "attributes": {...}}) or plain text (taken as the body).')
    .action(async (target: string, o: RunOpts) => {
      let t: Transform | null = null;
      try {
        t = openTransform(target, o, createLogger({ level: 'info', format: 'text' }));
        const now = Date.now();
        const events: LogEvent[] = [];
        for (const line of (await readStdin()).split('\n')) {
          if (line.trim() === '') continue;
          let parsed: unknown = undefined;
          if (line.trimStart().startsWith('{')) {
            try {
              parsed = JSON.parse(line);
            } catch {
              parsed = undefined;
            }
          }
          let event = newEvent(line); // not a flowlog event (not JSON, or a field it cannot take): the line is the body
          if (parsed !== undefined) {
            try {
              event = eventFromWire(parsed, now);
            } catch {
              // keep the line as the body
            }
          }
          events.push(event);
        }
        const input = new Set(events);
        const out = await t.process(events);
        let text = '';
        let modified = 0;
        for (const e of out) {
          if (!input.has(e)) modified++;
          text += encodeEvent(e) + '\n';
        }
        process.stdout.write(text);
        process.stderr.write(`in ${events.length}, kept ${out.length}, dropped ${events.length - out.length}, modified ${modified}\n`);
      } catch (e) {
        fail(e);
      } finally {
        await t?.close?.();
      }
    });

  cmd
    .command('bench')
    .description('measure a module (or a built-in) on synthetic records: records/s and MB/s, inline without and with the time budget, and in a worker thread')
    .argument('<module>', 'MODULE.wasm or a built-in transform type')
    .option('--config <json>', 'config as JSON')
    .option('--records <n>', 'records per run', '200000')
    .option('--body <text>', 'body template ({i} is replaced by the record number)', 'GET /api/v1/items/{i} 200 in 12ms user=alice@example.com trace={i} ERROR maybe')
    .action(async (target: string, o: RunOpts & { records: string; body: string }) => {
      try {
        const n = Number(o.records);
        const events = Array.from({ length: n }, (_, i) =>
          newEvent(o.body.replaceAll('{i}', String(i)), { 'k8s.namespace.name': i % 2 ? 'prod' : 'dev', seq: i }),
        );
        const bytes = events.reduce((s, e) => s + Buffer.byteLength(e.body), 0);
        const modes = [
          ['inline', '0', false],
          ['budget', '1000', false],
          ['worker', '1000', true],
        ] as const;
        for (const [label, budget, workerThread] of modes) {
          const t = openTransform(target, { ...o, timeBudgetMs: budget, workerThread });
          for (let i = 0; i < 8192 && i < n; i += 4096) await t.process(events.slice(i, i + 4096)); // warm-up
          const t0 = process.hrtime.bigint();
          let kept = 0;
          for (let i = 0; i < n; i += 4096) kept += (await t.process(events.slice(i, i + 4096))).length;
          const s = Number(process.hrtime.bigint() - t0) / 1e9;
          await t.close?.();
          process.stdout.write(
            `${label.padEnd(6)} ${(n / s / 1e6).toFixed(2)} M records/s  ${(bytes / s / 1e6).toFixed(0)} MB/s of bodies  kept ${kept}/${n}\n`,
          );
        }
      } catch (e) {
        fail(e);
      }
    });
}
