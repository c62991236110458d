// Built-in WASM transforms vs the same logic in plain JavaScript, on the same LogEvent batches
// (4096 records), in one run. WASM numbers include everything the agent pays: encoding the batch
// into module memory, the module call, and decoding statuses/edits back into LogEvents.
//   node --import tsx bench/transforms.ts [records]   (BENCH_ONLY=text runs the cases whose label contains it;
//   each case runs in its own process, see below)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { registerAll } from '../cli/components.js';
import type { Transform } from '../core/component.js';
import { type LogEvent } from '../core/event.js';
import { LineSplitter } from '../core/lines.js';
import { PlainDecoder, newStats } from '../agent/sources/file/decoder.js';
import { describeLines } from '../agent/sources/file/chunk-lines.js';
import { getComponent } from '../core/registry.js';
import { Metrics } from '../core/telemetry/metrics.js';
import { createLogger } from '../core/telemetry/logger.js';
import { setTransformTelemetry } from '../agent/transforms/wasm/runtime.js';

const N = Number(process.argv[2] ?? 100_000);
const BATCH = 4096;
registerAll();
setTransformTelemetry(new Metrics(), createLogger({ level: 'error' }));

const ns = ['prod-eu', 'prod-us', 'staging', 'dev'];
// Events as the file source produces them: the lines cut from 256 KiB read chunks by the tailer's
// own splitter and plain decoder (a body is a slice of the chunk's text and keeps its bytes).
function fromLines(texts: string[]): LogEvent[] {
  const events: LogEvent[] = [];
  const split = new LineSplitter();
  const dec = new PlainDecoder();
  const ctx = { observed: [Date.now(), 0] as [number, number], attrs: {}, stats: newStats() };
  const all = Buffer.from(texts.join('\n') + '\n');
  for (let off = 0; off < all.length; off += 256 * 1024) {
    const chunk = Buffer.from(all.subarray(off, off + 256 * 1024)); // its own buffer, as a read is
    const lines = split.push(chunk);
    describeLines(chunk, lines);
    for (const l of lines) dec.push(l, 0, ctx, events);
  }
  return events;
}
function textEvents(): LogEvent[] {
  const bodies = Array.from({ length: N }, (_, i) => {
    const pii = i % 10 === 0 ? ` card 4111 1111 1111 1111 user jane.doe@example.com auth Bearer tok${i}.abc` : '';
    return `${i % 7 === 0 ? 'ERROR' : 'INFO'} GET /api/v1/items/${i} status=200 dur=${i % 97}ms trace=${(i * 2654435761) >>> 0}${pii} host=web-${i % 13}`;
  });
  return fromLines(bodies).map((e, i) => {
    e.attributes = {
      'k8s.namespace.name': ns[i % 4]!,
      'k8s.pod.name': `web-${i % 13}-7c9f`,
      app: i % 3 === 0 ? 'payments' : 'web',
      pid: 1000 + (i % 50),
    };
    e.severityNumber = i % 7 === 0 ? 17 : 9;
    return e;
  });
}
const jsonEvents = () => fromLines(Array.from({ length: N }, (_, i) => `{"level":"info","msg":"request served","path":"/api/v1/items/${i}","status":200,"dur_ms":${i % 97},"ok":true}`));
const logfmtEvents = () => fromLines(Array.from({ length: N }, (_, i) => `level=info msg="request served" path=/api/v1/items/${i} status=200 dur=${i % 97}ms`));

// ---- the same logic in plain JavaScript ----
const clone = (e: LogEvent): LogEvent => ({ ...e, attributes: { ...e.attributes } });
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
function luhn(d: string): boolean {
  let sum = 0;
  for (let i = d.length - 1, dbl = false; i >= 0; i--, dbl = !dbl) {
    let x = d.charCodeAt(i) - 48;
    if (dbl && (x *= 2) > 9) x -= 9;
    sum += x;
  }
  return sum % 10 === 0;
}
const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const BEARER = /([Bb]earer )([A-Za-z0-9\-._~+/=]+)/g;
const AWS = /\b(AKIA|ASIA)([A-Z0-9]{16})\b/g;
function jsRedact(b: string): string {
  return b
    .replace(CARD, (m) => (luhn(m.replace(/[ -]/g, '')) ? m.replace(/\d/g, '*') : m))
    .replace(EMAIL, (m) => m.replace(/[^@]/g, '*'))
    .replace(BEARER, (_m, p: string, t: string) => p + '*'.repeat(t.length))
    .replace(AWS, (_m, p: string, k: string) => p + '*'.repeat(k.length));
}
const LOGFMT = /([^\s="]+)(?:=("(?:[^"\\]|\\.)*"|\S*))?/g;

type Js = (events: LogEvent[]) => LogEvent[];
const js: Record<string, Js> = {
  'filter body_contains': (es) => es.filter((e) => e.body.includes('ERROR')),
  'filter attribute prefix + severity': (es) => es.filter((e) => String(e.attributes['k8s.namespace.name'] ?? '').startsWith('prod-') && e.severityNumber >= 13),
  sample: (es) => es.filter((e) => fnv(e.body) % 10 === 0),
  redact: (es) =>
    es.map((e) => {
      const b = jsRedact(e.body);
      return b === e.body ? e : { ...e, body: b };
    }),
  parse_json: (es) =>
    es.map((e) => {
      if (e.body.charCodeAt(0) !== 123) return e;
      try {
        const o = JSON.parse(e.body) as Record<string, unknown>;
        const c = clone(e);
        for (const k in o) {
          const v = o[k];
          if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') c.attributes[k] = v;
          else if (v !== null) c.attributes[k] = JSON.stringify(v);
        }
        return c;
      } catch {
        return e;
      }
    }),
  parse_logfmt: (es) =>
    es.map((e) => {
      const c = clone(e);
      let pairs = 0;
      for (const m of e.body.matchAll(LOGFMT)) {
        if (m[2] === undefined) c.attributes[m[1]!] = true;
        else {
          pairs++;
          c.attributes[m[1]!] = m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2];
        }
      }
      return pairs > 0 ? c : e;
    }),
  set: (es) => es.map((e) => ({ ...e, attributes: { ...e.attributes, env: 'prod', cluster: 'eu-1' } })),
  rename: (es) =>
    es.map((e) => {
      if (!('pid' in e.attributes)) return e;
      const c = clone(e);
      c.attributes['process.pid'] = c.attributes.pid!;
      delete c.attributes.pid;
      return c;
    }),
  remove: (es) =>
    es.map((e) => {
      if (!('k8s.pod.name' in e.attributes)) return e;
      const c = clone(e);
      delete c.attributes['k8s.pod.name'];
      return c;
    }),
  route: (es) =>
    es.map((e) => {
      const r = e.severityNumber >= 17 ? 'errors' : e.attributes.app === 'payments' ? 'payments' : 'rest';
      return { ...e, attributes: { ...e.attributes, 'flowlog.route': r } };
    }),
};

const cases: [string, string, Record<string, unknown>, () => LogEvent[]][] = [
  ['filter body_contains', 'filter', { condition: { body_contains: 'ERROR' } }, textEvents],
  ['filter attribute prefix + severity', 'filter', { condition: { all: [{ attribute: 'k8s.namespace.name', prefix: 'prod-' }, { severity_at_least: 'warn' }] } }, textEvents],
  ['sample', 'sample', { rate: 10 }, textEvents],
  ['redact', 'redact', {}, textEvents],
  ['parse_json', 'parse_json', {}, jsonEvents],
  ['parse_logfmt', 'parse_logfmt', {}, logfmtEvents],
  ['set', 'set', { fields: { env: 'prod', cluster: 'eu-1' } }, textEvents],
  ['rename', 'rename', { fields: { pid: 'process.pid' } }, textEvents],
  ['remove', 'remove', { fields: ['k8s.pod.name'] }, textEvents],
  ['route', 'route', { route: { errors: { severity_at_least: 'error' }, payments: { attribute: 'app', equals: 'payments' } }, default_route: 'rest' }, textEvents],
];

type Pass = (b: LogEvent[]) => LogEvent[] | Promise<LogEvent[]>;
/**
 * Each variant's median of TIMED passes (M records/s) after two warm-up passes, and the records it
 * kept. The variants' passes alternate, so a drift of the machine hits them alike.
 */
const TIMED = 5;
async function timeAll(fns: Pass[], batches: LogEvent[][]): Promise<[number, number][]> {
  for (const fn of fns) for (let r = 0; r < 2; r++) for (const b of batches) await fn(b); // warm-up (JIT)
  const rates: number[][] = fns.map(() => []);
  const kept: number[] = fns.map(() => 0);
  for (let r = 0; r < TIMED; r++) {
    for (let f = 0; f < fns.length; f++) {
      let k = 0;
      const t0 = process.hrtime.bigint();
      for (const b of batches) k += (await fns[f]!(b)).length;
      rates[f]!.push(N / (Number(process.hrtime.bigint() - t0) / 1e9) / 1e6);
      kept[f] = k;
    }
  }
  return rates.map((rs, f) => [rs.sort((a, b) => a - b)[TIMED >> 1]!, kept[f]!]);
}

/**
 * Each case runs in a process of its own (this file again, with BENCH_CASE set). In one process the
 * cases disturbed each other: the WASM cases share the runtime's encode and decode code, and V8's
 * allocation-site pretenuring, set off by an earlier case's batches, made parse_json's decode
 * 450 -> 800 ns a record (back to 450-490 with --no-allocation-site-pretenuring), while each JS
 * baseline is a function of its own. A fresh process per case gives both sides a clean start.
 */
const selected = cases.filter(([l]) => (process.env.BENCH_CASE ? l === process.env.BENCH_CASE : !process.env.BENCH_ONLY || l.includes(process.env.BENCH_ONLY)));
const rows: string[] = [];
if (!process.env.BENCH_CASE) {
  for (const [label] of selected) {
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), String(N)], { env: { ...process.env, BENCH_CASE: label }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`${label}: the case's process exited with ${r.status ?? r.signal}`);
    rows.push(r.stdout.trim());
  }
}
for (const [label, type, cfg, gen] of process.env.BENCH_CASE ? selected : []) {
  const events = gen();
  const batches: LogEvent[][] = [];
  for (let i = 0; i < events.length; i += BATCH) batches.push(events.slice(i, i + BATCH));
  const def = getComponent('transform', type)!;
  const inline = def.build(def.schema.parse({ ...cfg, time_budget_ms: 0 }), { configDir: '.', dataDir: '/tmp' }) as Transform;
  const budget = def.build(def.schema.parse(cfg), { configDir: '.', dataDir: '/tmp' }) as Transform;
  const worker = def.build(def.schema.parse({ ...cfg, worker_thread: true }), { configDir: '.', dataDir: '/tmp' }) as Transform;
  const t = await timeAll([js[label]!, (b) => inline.process(b), (b) => budget.process(b), (b) => worker.process(b)], batches);
  const [jr, jk] = t[0]!;
  const [wr, wk] = t[1]!;
  const [br] = t[2]!;
  const [xr] = t[3]!;
  await inline.close?.();
  await budget.close?.();
  await worker.close?.();
  if (jk !== wk) process.stderr.write(`warning: ${label}: JS kept ${jk}, WASM kept ${wk}\n`);
  rows.push(`| ${label} | ${jr.toFixed(2)} | ${wr.toFixed(2)} | ${(wr / jr).toFixed(2)}x | ${br.toFixed(2)} | ${(br / jr).toFixed(2)}x | ${xr.toFixed(2)} | ${(xr / jr).toFixed(2)}x |`);
  process.stderr.write(`${label} done\n`);
}
if (process.env.BENCH_CASE) process.stdout.write(rows.join('\n') + '\n');
else process.stdout.write(
  `WASM transforms vs plain JavaScript, ${N} records, batches of ${BATCH}, M records/s, median of ${TIMED} passes (higher is better)\n\n` +
    '| transform | JS | WASM inline, no budget | ratio | WASM inline + time budget (default) | ratio | WASM worker_thread | ratio |\n|---|---|---|---|---|---|---|---|\n' +
    rows.join('\n') +
    '\n',
);
