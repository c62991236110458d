// The fast paths of a WASM batch: bodies copied from the bytes a line source read (encode.ts, raw
// path) and whole-batch evaluation in the module (filter and sample set every status in one pass;
// body_contains scans the batch's bodies once). Each must give exactly the results of the slow path
// and of a plain-JS reference, whatever the layout of the batch.
import { describe, expect, test } from 'vitest';
import { BatchEncoder } from '../../../../agent/transforms/wasm/encode.js';
import { PlainDecoder, newStats } from '../../../../agent/sources/file/decoder.js';
import { describeLines } from '../../../../agent/sources/file/chunk-lines.js';
import { hasRawBody, type Attributes, type LogEvent } from '../../../../core/event.js';
import { LineSplitter } from '../../../../core/lines.js';
import { ev, inlineMaker } from './helpers.js';

const t = inlineMaker();

/** Events as the file source makes them: `chunks` are the reads, cut into lines by the tailer's splitter. */
function fromReads(chunks: Buffer[]): LogEvent[] {
  const split = new LineSplitter();
  const dec = new PlainDecoder();
  const ctx = { observed: [Date.now(), 0] as [number, number], attrs: { 'host.name': 'h1' }, stats: newStats() };
  const out: LogEvent[] = [];
  for (const c of chunks) {
    const lines = split.push(c);
    describeLines(c, lines);
    for (const l of lines) dec.push(l, 0, ctx, out);
  }
  for (const l of split.flush()) dec.push(l, 0, ctx, out);
  return out;
}

/** The bodies of an encoded batch, read back from its record headers. */
function bodiesOf(bytes: Uint8Array): { text: string[]; off: number[]; len: number[] } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  const n = dv.getUint32(0, true);
  const r = { text: [] as string[], off: [] as number[], len: [] as number[] };
  for (let i = 0; i < n; i++) {
    const off = dv.getUint32(16 + i * 16, true);
    const len = dv.getUint32(20 + i * 16, true);
    r.off.push(off);
    r.len.push(len);
    r.text.push(Buffer.from(bytes.buffer, bytes.byteOffset + off, len).toString('utf8'));
  }
  return r;
}

const withoutRaw = (es: LogEvent[]) => es.map((e) => ({ ...e, rawBuf: undefined }));

describe('bodies copied from the read bytes', () => {
  const reads = [
    Buffer.from('first line\nsecond ERROR line\r\nthird '),
    Buffer.concat([Buffer.from('line continues\nnaïve café ✓\nbad '), Buffer.from([0xff]), Buffer.from(' byte\n')]),
    Buffer.from('naïve café ✓ valid utf8\n\nlast'),
  ];
  const events = fromReads(reads);

  test('a line source gives valid bodies their bytes, and not an invalid one', () => {
    expect(events.map((e) => e.body)).toEqual(['first line', 'second ERROR line', 'third line continues', 'naïve café ✓', 'bad \ufffd byte', 'naïve café ✓ valid utf8', '', 'last']);
    // the second read holds a lone 0xff: replaced, so that line has no raw bytes; the others do
    const invalid = events.findIndex((e) => e.attributes['log.invalid_utf8'] === true);
    expect(invalid).toBeGreaterThan(-1);
    expect(events.map((e, i) => hasRawBody(e) === (i !== invalid))).toEqual(events.map(() => true));
  });

  test('the raw layout reads back the same bodies as the string layout, with the line ends copied along', () => {
    const valid = events.filter(hasRawBody);
    const raw = bodiesOf(new BatchEncoder().encode(valid, 1).bytes);
    const str = bodiesOf(new BatchEncoder().encode(withoutRaw(valid), 1).bytes);
    expect(raw.text).toEqual(valid.map((e) => e.body));
    expect(str.text).toEqual(raw.text);
    // lines 0 and 1 of the first read are adjacent: one copy, '\n' between them; the raw layout
    // differs from the string one (which has no gaps), so the raw path was taken
    expect(raw.off[1]! - (raw.off[0]! + raw.len[0]!)).toBe(1);
    expect(str.off[1]! - (str.off[0]! + str.len[0]!)).toBe(0);
  });

  test('the bodies-only pass writes the same bytes as the general pass', () => {
    const valid = events.filter((e) => hasRawBody(e));
    valid[2]!.severityNumber = 17;
    const fast = new BatchEncoder().encode(valid, 1); // bodies only: one pass over the events
    const general = new BatchEncoder().encode(valid, 1 | 4, ['absent']); // a selected attribute no event has
    expect(fast.length).toBe(general.length);
    expect(Buffer.from(fast.bytes.buffer, fast.offset, fast.length).equals(Buffer.from(general.bytes.buffer, general.offset, general.length))).toBe(true);
    expect(bodiesOf(fast.bytes).text).toEqual(valid.map((e) => e.body));
  });

  test('a body replaced after the source is encoded from the new text, not from the stale bytes', () => {
    const valid = events.filter(hasRawBody);
    const changed = valid.map((e, i) => (i === 1 ? { ...e, body: 'SECOND error LINE' } : e)); // same length, kept raw fields
    expect(bodiesOf(new BatchEncoder().encode(changed, 1).bytes).text[1]).toBe('SECOND error LINE');
  });

  test('bytes between two bodies that are not line ends are never copied', () => {
    const buf = Buffer.from('aaaSECRETbbb\ncc');
    const mk = (start: number, end: number): LogEvent => {
      const e = ev(buf.toString('latin1', start, end));
      Object.assign(e, { rawBuf: buf.buffer, rawStart: buf.byteOffset + start, rawEnd: buf.byteOffset + end, rawOf: e.body });
      return e;
    };
    const batch = [mk(0, 3), mk(9, 12), mk(13, 15)];
    const enc = new BatchEncoder().encode(batch, 1);
    expect(bodiesOf(enc.bytes).text).toEqual(['aaa', 'bbb', 'cc']);
    expect(Buffer.from(enc.bytes.subarray(0, enc.length)).includes('SECRET')).toBe(false);
  });

  test('attributes are encoded after raw bodies and read back by the module', async () => {
    const out = await t('filter', { condition: { all: [{ body_contains: 'ERROR' }, { attribute: 'host.name', equals: 'h1' }] } }).process(events);
    expect(out.map((e) => e.body)).toEqual(['second ERROR line']);
  });
});

// ---- whole-batch conditions against a plain-JS reference ----
type Cond =
  | { severity_at_least: number }
  | { body_contains: string }
  | { attribute: string; equals?: string; prefix?: string; contains?: string }
  | { all: Cond[] }
  | { any: Cond[] }
  | { not: Cond };

function jsTest(c: Cond, e: LogEvent): boolean {
  if ('severity_at_least' in c) return e.severityNumber >= c.severity_at_least;
  if ('body_contains' in c) return e.body.includes(c.body_contains);
  if ('attribute' in c) {
    const v = e.attributes[c.attribute];
    if (v === undefined) return false;
    const s = String(v);
    return c.equals !== undefined ? s === c.equals : c.prefix !== undefined ? s.startsWith(c.prefix) : s.includes(c.contains!);
  }
  if ('all' in c) return c.all.every((k) => jsTest(k, e));
  if ('any' in c) return c.any.some((k) => jsTest(k, e));
  return !jsTest(c.not, e);
}

/** A deterministic pseudo-random generator (tests must not depend on Math.random's seed). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Lines built so needles fall at starts, ends and across line boundaries ("...ER" + "ROR..."). */
function lines(n: number, seed: number): string[] {
  const r = rng(seed);
  const parts = ['ERROR', 'ER', 'ROR', 'R', 'E', 'warn', 'x', ' ', 'timeout after 30s in upstream-service', 'é', ''];
  return Array.from({ length: n }, () => {
    let s = '';
    const k = Math.floor(r() * 6);
    for (let j = 0; j < k; j++) s += parts[Math.floor(r() * parts.length)];
    return s;
  });
}

function withAttrs(events: LogEvent[], seed: number): LogEvent[] {
  const r = rng(seed);
  const ns = ['prod-eu', 'prod-us', 'staging', 'dev'];
  return events.map((e) => {
    const a: Attributes = { ...e.attributes };
    if (r() < 0.8) a['k8s.namespace.name'] = ns[Math.floor(r() * ns.length)]!;
    if (r() < 0.5) a.app = r() < 0.5 ? 'payments' : 'web';
    e.attributes = a;
    e.severityNumber = [0, 5, 9, 13, 17, 21][Math.floor(r() * 6)]!;
    return e;
  });
}

const conds: Cond[] = [
  { body_contains: 'ERROR' },
  { body_contains: 'R' },
  { body_contains: 'timeout after 30s in upstream' }, // longer than one 16-byte SIMD step
  { body_contains: 'é' },
  { attribute: 'k8s.namespace.name', prefix: 'prod-' },
  { attribute: 'app', equals: 'payments' },
  { attribute: 'k8s.namespace.name', contains: 'ag' },
  { all: [{ attribute: 'k8s.namespace.name', prefix: 'prod-' }, { severity_at_least: 13 }] },
  { any: [{ body_contains: 'ERROR' }, { not: { attribute: 'app', equals: 'web' } }] },
  { not: { all: [{ body_contains: 'E' }, { body_contains: 'warn' }] } },
];

describe('whole-batch conditions', () => {
  const texts = lines(3000, 7);
  // the file-source layout (raw bodies, adjacent, read in uneven chunks) and the string layout
  const all = Buffer.from(texts.join('\n') + '\n');
  const reads: Buffer[] = [];
  for (let off = 0, k = 0; off < all.length; k++) {
    const len = 500 + ((k * 7919) % 4000);
    reads.push(Buffer.from(all.subarray(off, off + len)));
    off += len;
  }
  const rawEvents = withAttrs(fromReads(reads), 11);
  const strEvents = withAttrs(texts.map((s) => ev(s)), 11);

  test('the source gives every line its raw bytes', () => {
    expect(rawEvents.map((e) => e.body)).toEqual(texts);
    expect(rawEvents.every(hasRawBody)).toBe(true);
  });

  for (const [i, c] of conds.entries()) {
    test(`condition ${i}: ${JSON.stringify(c)} keeps exactly what the JS reference keeps, in both layouts`, async () => {
      const f = t('filter', { condition: c, max_batch: 1024 });
      const want = rawEvents.filter((e) => jsTest(c, e));
      expect(want.length).toBeGreaterThan(0);
      expect(want.length).toBeLessThan(rawEvents.length);
      expect(await f.process(rawEvents)).toEqual(want);
      expect((await f.process(strEvents)).map((e) => e.body)).toEqual(strEvents.filter((e) => jsTest(c, e)).map((e) => e.body));
    });
  }

  test('sample keeps exactly the records whose FNV-1a hash (of the key field, else the body) divides by rate', async () => {
    const fnv = (s: string) => {
      let h = 0x811c9dc5;
      for (const b of Buffer.from(s)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
      return h;
    };
    const byBody = await t('sample', { rate: 3 }).process(rawEvents);
    expect(byBody).toEqual(rawEvents.filter((e) => fnv(e.body) % 3 === 0));
    const byKey = await t('sample', { rate: 2, key_field: 'app' }).process(strEvents);
    expect(byKey).toEqual(strEvents.filter((e) => fnv(e.attributes.app === undefined ? e.body : String(e.attributes.app)) % 2 === 0));
  });
});

test('attribute keys of edits, cached by their bytes, come back exactly: 1000 keys of one length, long, non-ASCII and escaped keys', async () => {
  const r = rng(3);
  const bodies = Array.from({ length: 2000 }, (_, i) => {
    const o: Record<string, unknown> = {};
    for (let j = 0; j < 4; j++) o[`k${String(Math.floor(r() * 1000)).padStart(3, '0')}`] = j % 2 ? i : `v${i}`; // slot collisions of equal length
    if (i % 7 === 0) o['a.very.long.attribute.name.that.is.longer.than.sixty.four.bytes.in.total.x'] = true;
    if (i % 5 === 0) o['clé_ü'] = 'é';
    if (i % 11 === 0) o['quo"te\\key'] = 'x';
    return JSON.stringify(o);
  });
  const events = fromReads([Buffer.from(bodies.join('\n') + '\n')]);
  const out = await t('parse_json', {}).process(events);
  expect(out.map((e) => e.attributes)).toEqual(bodies.map((b) => ({ 'host.name': 'h1', ...(JSON.parse(b) as object) })));
});

test('remove through copiers compiled per key list: 12 key lists (past the 8 compiled), a __proto__ key, and the source objects untouched', async () => {
  const events = Array.from({ length: 600 }, (_, i) => {
    const a: Attributes = {};
    for (let k = 0; k <= i % 12; k++) a[`k${k}`] = k;
    a.drop_me = 'x';
    if (i % 50 === 0) Object.defineProperty(a, '__proto__', { value: 'p', enumerable: true, writable: true, configurable: true });
    return ev(`line ${i}`, a);
  });
  const before = events.map((e) => ({ ...e.attributes }));
  const out = await t('remove', { fields: ['drop_me', 'k3'] }).process(events);
  expect(out.map((e) => e.attributes)).toEqual(
    before.map((a) => {
      const c = { ...a };
      delete c.drop_me;
      delete c.k3;
      return c;
    }),
  );
  expect(out.filter((e) => Object.hasOwn(e.attributes, '__proto__')).length).toBe(12);
  expect(events.map((e) => e.attributes)).toEqual(before); // removal copies, never edits the input's objects
});

test('attribute strings are written once per batch and each entry keeps its own type and bytes', async () => {
  const many: Attributes = {};
  for (let k = 0; k < 100; k++) many[`a${k}`] = k % 3 === 0 ? k : k % 3 === 1 ? `v${k % 7}` : k % 2 === 0; // past the 64 remembered positions
  const events = Array.from({ length: 500 }, (_, i) =>
    ev(`line ${i}`, i % 2 === 0 ? { x: 1, y: 'same', z: `u${i}`, 'é': 'ü' } : { x: '1', y: 'same', z: `u${i % 5}`, ...many }),
  );
  const enc = new BatchEncoder().encode(events, 2 /* all attributes */);
  const dv = new DataView(enc.bytes.buffer, enc.bytes.byteOffset);
  const table = dv.getUint32(4, true);
  const yOffsets = new Set<number>();
  for (let i = 0; i < events.length; i++) {
    const first = dv.getUint32(16 + i * 16 + 8, true);
    const count = dv.getUint16(16 + i * 16 + 12, true);
    expect(count).toBe(Object.keys(events[i]!.attributes).length);
    for (let j = 0; j < count; j++) {
      const a = table + (first + j) * 16;
      const key = Buffer.from(enc.bytes.buffer, enc.bytes.byteOffset + dv.getUint32(a, true), dv.getUint16(a + 4, true)).toString();
      const val = Buffer.from(enc.bytes.buffer, enc.bytes.byteOffset + dv.getUint32(a + 8, true), dv.getUint32(a + 12, true)).toString();
      const want = events[i]!.attributes[key]!;
      expect(val).toBe(String(want));
      expect(dv.getUint8(a + 6)).toBe(typeof want === 'string' ? 0 : typeof want === 'number' ? 1 : 2);
      if (key === 'y') yOffsets.add(dv.getUint32(a + 8, true));
    }
  }
  expect(yOffsets.size).toBe(1); // 'same' is in the batch once
  const out = await t('rename', { fields: { x: 'x2', a99: 'b99' } }).process(events);
  expect(out.map((e) => [e.attributes.x2, e.attributes.b99])).toEqual(events.map((e) => [e.attributes.x, e.attributes.a99]));
});

// ---- the batch encoded straight into module memory (the inline default) ----
describe('encoded straight into module memory', () => {
  const piiLines = lines(600, 11).map((l, i) => (i % 5 === 0 ? `${l} card 4111 1111 1111 1111 mail jane.doe@example.com k=v${i}` : `${l} level=info n=${i}`));
  const reads = [Buffer.from(piiLines.slice(0, 300).join('\n') + '\n'), Buffer.from(piiLines.slice(300).join('\n') + '\nnaïve ✓ tail\n')];
  const fresh = () => withAttrs(fromReads(reads), 5);

  test.each([
    [1, null],
    [2, null],
    [1 | 2, null],
    [1 | 4, ['app', 'k8s.namespace.name']],
  ] as const)('a region at an offset of another buffer holds the bytes of the encoder\'s own (needs %i)', (needs, keys) => {
    const events = fresh();
    const own = new BatchEncoder().encode(events, needs, keys ? [...keys] : null);
    expect(own.offset).toBe(0);
    const memory = new ArrayBuffer(1 << 22);
    let reserved = 0;
    const direct = new BatchEncoder().encode(events, needs, keys ? [...keys] : null, {
      reserve: (bytes, count) => {
        expect(count).toBe(events.length);
        reserved = bytes;
        return { buffer: memory, base: 4096 + 64 };
      },
    });
    expect(direct.offset).toBe(4096 + 64);
    expect(direct.length).toBe(own.length);
    expect(reserved).toBeGreaterThanOrEqual(own.length);
    expect(Buffer.from(memory, direct.offset, direct.length).equals(Buffer.from(own.bytes.buffer, 0, own.length))).toBe(true);
  });

  test.each([
    ['redact', {}],
    ['parse_logfmt', {}],
    ['remove', { fields: ['app'] }],
    ['rename', { fields: { app: 'service.name' } }],
    ['filter', { condition: { any: [{ body_contains: 'ERROR' }, { attribute: 'app', equals: 'payments' }] } }],
  ] as const)('%s gives the same events inline (encoded into module memory) as in a worker (copied in)', async (type, cfg) => {
    const inline = await t(type, cfg).process(fresh());
    const worker = t(type, { ...cfg, worker_thread: true, time_budget_ms: 1000 });
    const copied = await worker.process(fresh());
    const view = (es: LogEvent[]) => es.map((e) => ({ body: e.body, attributes: e.attributes, sev: e.severityNumber }));
    expect(inline.length).toBeGreaterThan(0);
    expect(view(inline)).toEqual(view(copied));
  });
});
