// The ComponentDefs of the WASM-backed transforms: nine built-ins and `wasm` (a custom module).
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { z } from 'zod';
import type { BuildEnv, ComponentDef } from '../../../core/component.js';
import { builtinPath } from './builtins.js';
import * as C from './config.js';
import { FlowlogError } from '../../../core/errors.js';
import { ComponentTransform, isComponent } from '../component/runtime.js';
import { loadModuleFile, sha256Hex } from './module-cache.js';
import { WasmTransform, transformTelemetry } from './runtime.js';

function readHead(path: string): Uint8Array {
  const b = new Uint8Array(8);
  try {
    const fd = openSync(path, 'r');
    try {
      readSync(fd, b, 0, 8, 0);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new FlowlogError('TRANSFORM_LOAD', `cannot read transform module ${path}: ${(e as Error).message}`, { cause: e });
  }
  return b;
}

function build(name: string, path: string, rt: C.RuntimeFields, moduleCfg: unknown, env: BuildEnv, extra: Partial<ConstructorParameters<typeof WasmTransform>[0]> = {}) {
  const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  return new WasmTransform({
    name,
    module: loadModuleFile(path, extra.sha256),
    config: moduleCfg,
    onError: rt.on_error,
    timeBudgetMs: rt.time_budget_ms,
    workerThread: rt.worker_thread,
    maxMemoryPages: rt.max_memory_pages,
    maxBatch: rt.max_batch,
    deadLetterPath: rt.dead_letter.path ?? join(env.dataDir, 'transforms', `${safe}.dead-letter.ndjson`),
    ...extra,
  });
}

type Builtin = keyof typeof C.moduleConfig;

function builtin<S extends z.ZodType<C.RuntimeFields>>(type: Builtin, schema: S, description: string): ComponentDef<'transform', z.infer<S>> {
  return {
    kind: 'transform',
    type,
    roles: ['agent', 'aggregator'],
    description,
    schema: schema as unknown as z.ZodType<z.infer<S>>,
    build: (cfg, env) => build(type, builtinPath(type), cfg, (C.moduleConfig[type] as (c: unknown) => unknown)(cfg), env),
  };
}

export const filterTransform = builtin('filter', C.filterConfig, 'keeps events matching a condition (WASM, SIMD)');
export const sampleTransform = builtin('sample', C.sampleConfig, 'keeps 1 in rate events, deterministic by a hash of key_field or the body (WASM)');
export const redactTransform = builtin('redact', C.redactConfig, 'masks card numbers (Luhn), emails, bearer tokens and AWS access keys in the body (WASM, SIMD)');
export const parseJsonTransform = builtin('parse_json', C.parseJsonConfig, 'JSON object bodies → attributes (WASM)');
export const parseLogfmtTransform = builtin('parse_logfmt', C.parseLogfmtConfig, 'logfmt bodies → attributes (WASM)');
export const setTransform = builtin('set', C.setConfig, 'sets attributes (WASM)');
export const renameTransform = builtin('rename', C.renameConfig, 'renames attributes (WASM)');
export const removeTransform = builtin('remove', C.removeConfig, 'removes attributes (WASM)');
export const routeTransform = builtin('route', C.routeConfig, 'sets flowlog.route (read by the Kafka topic template) from conditions (WASM)');

export const wasmTransform: ComponentDef<'transform', z.infer<typeof C.wasmConfig>> = {
  kind: 'transform',
  type: 'wasm',
  roles: ['agent', 'aggregator'],
  description: 'a custom WebAssembly module (flowlog ABI v1, see docs/transforms.md): sandboxed, time- and memory-capped, hot-reloaded; or a component (WIT world transforms/wit)',
  schema: C.wasmConfig,
  build: (cfg, env) => {
    const path = isAbsolute(cfg.module) ? cfg.module : join(env.configDir, cfg.module);
    const label = cfg.module.replace(/^.*\//, '').replace(/\.wasm$/, '');
    const head = readHead(path);
    if (isComponent(head)) {
      const bytes = readFileSync(path);
      const hash = sha256Hex(bytes);
      if (cfg.sha256 && cfg.sha256.toLowerCase() !== hash) {
        throw new FlowlogError('TRANSFORM_LOAD', `${path}: sha256 is ${hash}, the config pins ${cfg.sha256.toLowerCase()}; rebuild or update sha256`);
      }
      const tel = transformTelemetry();
      return new ComponentTransform({
        name: label,
        component: bytes,
        config: cfg.config,
        onError: cfg.on_error,
        maxBatch: cfg.max_batch,
        cacheDir: join(env.dataDir, 'transforms', 'jco-cache'),
        deadLetterPath: cfg.dead_letter.path ?? join(env.dataDir, 'transforms', `${label}.dead-letter.ndjson`),
        metrics: tel.metrics,
        ...(tel.log ? { log: tel.log } : {}),
      });
    }
    return build(label, path, cfg, cfg.config, env, { modulePath: path, sha256: cfg.sha256, reloadIntervalMs: cfg.reload_interval_ms });
  },
};
