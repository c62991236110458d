// ComponentTransform: runs a Component Model transform (world flowlog:transform/transform) through
// jco-transpiled bindings. The transpiled JS and core modules are cached on disk by the component's
// sha256. Components run on the pipeline thread (no time budget: use core modules for that); a trap
// fails the batch (on_error pass | drop | dead_letter, counted) and the instance is recreated —
// a component instance refuses every call after a trap.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodeEvent } from '../../../core/codec.js';
import type { Transform } from '../../../core/component.js';
import { FlowlogError, describeError } from '../../../core/errors.js';
import type { LogEvent } from '../../../core/event.js';
import { createLogger, type Logger } from '../../../core/telemetry/logger.js';
import { Metrics, type Counter } from '../../../core/telemetry/metrics.js';
import { NEEDS_ATTRIBUTES, NEEDS_BODY } from '../wasm/abi.js';
import { decodeBatch, type DecodeCounts } from '../wasm/decode.js';
import { BatchEncoder } from '../wasm/encode.js';
import { sha256Hex } from '../wasm/module-cache.js';
import type { OnError } from '../wasm/runtime.js';

/** A WebAssembly component binary (layer 1) rather than a core module. */
export function isComponent(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[4] === 0x0d && bytes[6] === 0x01;
}

interface Bindings {
  instantiate(
    getCoreModule: (name: string) => WebAssembly.Module,
    imports: Record<string, unknown>,
    instantiateCore: (m: WebAssembly.Module, i?: WebAssembly.Imports) => WebAssembly.Instance,
  ): { init(config: string): number; process(count: number, records: Uint8Array): { statuses: Uint8Array; edits: Uint8Array; input: Uint8Array } };
}

/** Transpiles (once per sha256, cached under cacheDir) and imports the bindings. */
export async function loadBindings(component: Uint8Array, cacheDir: string): Promise<{ bindings: Bindings; dir: string }> {
  const dir = join(cacheDir, sha256Hex(component));
  const entry = join(dir, 'transform.js');
  if (!existsSync(entry)) {
    const jco = (await import('@bytecodealliance/jco')) as unknown as {
      transpile(c: Uint8Array, o: object): Promise<{ files: Record<string, Uint8Array> }>;
    };
    let files: Record<string, Uint8Array>;
    try {
      ({ files } = await jco.transpile(component, { name: 'transform', instantiation: 'sync', noTypescript: true, quiet: true }));
    } catch (e) {
      throw new FlowlogError('TRANSFORM_LOAD', `not a flowlog transform component (world flowlog:transform/transform): ${(e as Error).message}`, { cause: e });
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const [name, data] of Object.entries(files)) if (name !== 'transform.js') writeFileSync(join(dir, name), data, { mode: 0o600 });
    writeFileSync(entry, files['transform.js']!, { mode: 0o600 }); // last: its presence marks a complete cache entry
  }
  const bindings = (await import(pathToFileURL(entry).href)) as Bindings;
  if (typeof bindings.instantiate !== 'function') throw new FlowlogError('TRANSFORM_LOAD', `${entry}: transpiled bindings have no instantiate()`);
  return { bindings, dir };
}

export interface ComponentTransformOptions {
  name: string;
  component: Uint8Array;
  config: unknown;
  onError: OnError;
  maxBatch: number;
  cacheDir: string;
  deadLetterPath?: string;
  metrics?: Metrics;
  log?: Logger;
}

export class ComponentTransform implements Transform {
  private readonly encoder = new BatchEncoder();
  private readonly counts: DecodeCounts = { kept: 0, dropped: 0, modified: 0 };
  private loaded: Promise<{ bindings: Bindings; dir: string }> | null = null;
  private inst: ReturnType<Bindings['instantiate']> | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;
  private readonly c: Record<string, Counter>;

  constructor(private readonly o: ComponentTransformOptions) {
    const m = o.metrics ?? new Metrics();
    this.log = (o.log ?? createLogger()).child({ transform: o.name });
    const ev = (outcome: string) => m.counter('flowlog_transform_events_total', 'Events through a WASM transform, by outcome', { transform: o.name, outcome });
    const err = (kind: string) => m.counter('flowlog_transform_errors_total', 'WASM transform failures (per batch), by kind', { transform: o.name, kind });
    const act = (a: string) => m.counter('flowlog_transform_error_events_total', 'Events of failed batches, by on_error action', { transform: o.name, action: a });
    this.c = { in: ev('in'), kept: ev('kept'), dropped: ev('dropped'), trap: err('trap'), load: err('load'), abi: err('abi'), pass: act('pass'), drop: act('drop'), dead_letter: act('dead_letter') };
  }

  stats(): Readonly<DecodeCounts> {
    return this.counts;
  }

  private async instance(): Promise<ReturnType<Bindings['instantiate']>> {
    if (this.inst) return this.inst;
    this.loaded ??= loadBindings(this.o.component, this.o.cacheDir);
    const { bindings, dir } = await this.loaded;
    const mods = new Map<string, WebAssembly.Module>();
    const getCoreModule = (name: string) => {
      let m = mods.get(name);
      if (!m) mods.set(name, (m = new WebAssembly.Module(readFileSync(join(dir, name)))));
      return m;
    };
    const levels = ['debug', 'info', 'warn', 'error'] as const;
    const inst = bindings.instantiate(
      getCoreModule,
      { log: { default: (level: number, msg: string) => this.log.once(`module:${msg}`, levels[level] ?? 'info', `module: ${msg}`) } },
      (m, i) => new WebAssembly.Instance(m, i),
    );
    const rc = inst.init(JSON.stringify(this.o.config ?? {}));
    if (rc !== 0) throw new FlowlogError('TRANSFORM_LOAD', `component init refused the config (code ${rc})`);
    return (this.inst = inst);
  }

  process(events: LogEvent[]): Promise<LogEvent[]> {
    const p = this.chain.then(async () => {
      const out: LogEvent[] = [];
      for (let i = 0; i < events.length; i += this.o.maxBatch) out.push(...(await this.chunk(events.slice(i, i + this.o.maxBatch))));
      return out;
    });
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async chunk(events: LogEvent[]): Promise<LogEvent[]> {
    if (events.length === 0) return events;
    this.c.in!.inc(events.length);
    try {
      const inst = await this.instance();
      const enc = this.encoder.encode(events, NEEDS_BODY | NEEDS_ATTRIBUTES);
      let r: { statuses: Uint8Array; edits: Uint8Array; input: Uint8Array };
      try {
        r = inst.process(events.length, enc.bytes.subarray(enc.offset, enc.offset + enc.length));
      } catch (e) {
        this.inst = null; // "cannot enter component instance" after a trap: start over
        throw new FlowlogError('TRANSFORM_TRAP', `component trapped: ${(e as Error).message}`, { cause: e });
      }
      const kept = decodeBatch(events, { statuses: r.statuses, output: r.edits, input: r.input.length > 0 ? r.input : null }, this.counts);
      this.c.kept!.inc(kept.length);
      this.c.dropped!.inc(events.length - kept.length);
      return kept;
    } catch (e) {
      const code = e instanceof FlowlogError ? e.code : 'FLOWLOG_TRANSFORM_TRAP';
      this.c[code === 'FLOWLOG_TRANSFORM_LOAD' ? 'load' : code === 'FLOWLOG_TRANSFORM_ABI' ? 'abi' : 'trap']!.inc();
      this.c[this.o.onError]!.inc(events.length);
      this.log.warn('transform batch failed', { error: describeError(e), code, events: events.length, on_error: this.o.onError });
      if (this.o.onError === 'pass') return events;
      if (this.o.onError === 'dead_letter' && this.o.deadLetterPath) {
        await mkdir(dirname(this.o.deadLetterPath), { recursive: true, mode: 0o700 });
        await appendFile(this.o.deadLetterPath, events.map((ev) => encodeEvent(ev) + '\n').join(''), { mode: 0o600 });
      }
      return [];
    }
  }

  async close(): Promise<void> {
    await this.chain;
    this.inst = null;
  }
}
