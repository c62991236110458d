// Correctness of every built-in WASM transform, run inline (time_budget_ms: 0) and, for filter, under
// the time-budget watchdog and in a worker thread; and order preservation across chunked batches.
import { describe, expect, test } from 'vitest';
import { ev, inlineMaker, make } from './helpers.js';

const t = inlineMaker();

describe('filter', () => {
  const events = [
    ev('disk full on /var', { 'k8s.namespace.name': 'prod-eu', app: 'db' }, 17),
    ev('user logged in', { 'k8s.namespace.name': 'staging', app: 'web' }, 9),
    ev('slow query 1200ms', { 'k8s.namespace.name': 'prod-us', app: 'db' }, 13),
    ev('health ok', {}, 0),
  ];
  const bodies = async (cond: unknown, mode: 'inline' | 'budget' | 'worker' = 'inline') =>
    (await make('filter', { condition: cond, ...(mode === 'inline' ? { time_budget_ms: 0 } : mode === 'worker' ? { worker_thread: true } : {}) }).process(events)).map((e) => e.body);

  test('severity_at_least by name and number', async () => {
    expect(await bodies({ severity_at_least: 'warn' })).toEqual(['disk full on /var', 'slow query 1200ms']);
    expect(await bodies({ severity_at_least: 17 })).toEqual(['disk full on /var']);
  });
  test('body_contains, including a needle longer than 16 bytes and one at the very end', async () => {
    expect(await bodies({ body_contains: 'query' })).toEqual(['slow query 1200ms']);
    expect(await bodies({ body_contains: 'y 1200ms' })).toEqual(['slow query 1200ms']);
    expect(await bodies({ body_contains: 'disk full on /var' })).toEqual(['disk full on /var']);
    expect(await bodies({ body_contains: 'nothing like this' })).toEqual([]);
  });
  test('attribute equals / prefix / contains, and a missing attribute never matches', async () => {
    expect(await bodies({ attribute: 'app', equals: 'db' })).toEqual(['disk full on /var', 'slow query 1200ms']);
    expect(await bodies({ attribute: 'k8s.namespace.name', prefix: 'prod-' })).toEqual(['disk full on /var', 'slow query 1200ms']);
    expect(await bodies({ attribute: 'k8s.namespace.name', contains: 'ag' })).toEqual(['user logged in']);
    expect(await bodies({ attribute: 'absent', equals: '' })).toEqual([]);
  });
  test('all / any / not', async () => {
    expect(await bodies({ all: [{ attribute: 'app', equals: 'db' }, { severity_at_least: 'error' }] })).toEqual(['disk full on /var']);
    expect(await bodies({ any: [{ body_contains: 'health' }, { attribute: 'app', equals: 'web' }] })).toEqual(['user logged in', 'health ok']);
    expect(await bodies({ not: { attribute: 'app', equals: 'db' } })).toEqual(['user logged in', 'health ok']);
  });
  test('the time-budget (watchdog) and worker-thread runners give the same result', async () => {
    expect(await bodies({ attribute: 'k8s.namespace.name', prefix: 'prod-' }, 'budget')).toEqual(['disk full on /var', 'slow query 1200ms']);
    expect(await bodies({ attribute: 'k8s.namespace.name', prefix: 'prod-' }, 'worker')).toEqual(['disk full on /var', 'slow query 1200ms']);
  });
  test('kept events are the same objects (no decode) and non-ASCII bodies are searched as UTF-8', async () => {
    const e = ev('naïve café — ошибка', { x: 'ü' });
    const out = await t('filter', { condition: { body_contains: 'ошибка' } }).process([e, ev('other')]);
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(e);
  });
});

describe('sample', () => {
  test('keeps about 1 in rate, deterministically', async () => {
    const events = Array.from({ length: 4000 }, (_, i) => ev(`request ${i} served`));
    const a = (await t('sample', { rate: 10 }).process(events)).map((e) => e.body);
    const b = (await t('sample', { rate: 10 }).process(events)).map((e) => e.body);
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(250);
    expect(a.length).toBeLessThan(550);
  });
  test('key_field: all events with the same key share one decision', async () => {
    const events = Array.from({ length: 3000 }, (_, i) => ev(`line ${i}`, { trace_id: `t${i % 50}` }));
    const out = await t('sample', { rate: 5, key_field: 'trace_id' }).process(events);
    const keptKeys = new Set(out.map((e) => e.attributes.trace_id));
    expect(keptKeys.size).toBeGreaterThan(0);
    expect(keptKeys.size).toBeLessThan(50);
    for (const k of keptKeys) expect(out.filter((e) => e.attributes.trace_id === k)).toHaveLength(60);
  });
  test('rate 1 keeps everything', async () => {
    expect(await t('sample', { rate: 1 }).process([ev('a'), ev('b')])).toHaveLength(2);
  });
});

describe('redact', () => {
  const red = async (body: string, cfg: Record<string, unknown> = {}) => (await t('redact', cfg).process([ev(body)]))[0]!.body;

  test('Luhn-valid card numbers are masked, Luhn-invalid ones are not', async () => {
    expect(await red('paid with 4111111111111111 ok')).toBe('paid with **************** ok');
    expect(await red('paid with 4111111111111112 ok')).toBe('paid with 4111111111111112 ok');
    expect(await red('mc 5500-0000-0000-0004, amex 378282246310005.')).toBe('mc ****-****-****-****, amex ***************.');
    expect(await red('discover 6011 1111 1111 1117 end')).toBe('discover **** **** **** **** end');
    expect(await red('order 4111111111111111999999 too long')).toBe('order 4111111111111111999999 too long');
    expect(await red('id abc4111111111111111')).toBe('id abc4111111111111111');
  });
  test('emails, bearer tokens, AWS access keys; length preserved; other text untouched', async () => {
    const body = 'to bob.smith+x@mail.example.com. auth="Bearer eyJhbGciOi.J9-x_y" key=AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A, not@home';
    const out = await red(body);
    const m = (n: number) => '*'.repeat(n);
    expect(out).toBe(`to ${m(11)}@${m(16)}. auth="Bearer ${m(17)}" key=AKIA${m(16)} and ASIA${m(16)}, not@home`);
    expect(Buffer.byteLength(out)).toBe(Buffer.byteLength(body));
  });
  test('patterns and mask options', async () => {
    expect(await red('a@b.io 4111111111111111', { patterns: ['email'], mask: '#' })).toBe('#@#### 4111111111111111');
  });
  test('unchanged records stay the same objects', async () => {
    const e = ev('nothing secret here');
    expect((await t('redact', {}).process([e]))[0]).toBe(e);
  });
});

describe('parse_json', () => {
  test('JSON object body → typed attributes; escapes decoded; nested kept as JSON text; null skipped', async () => {
    const [e] = await t('parse_json', {}).process([
      ev('{"msg":"a \\"quoted\\"\\nline \\u00e9","n":-1.5e2,"ok":true,"no":false,"obj":{"x":[1,"}"]},"arr":[1,2],"nil":null,"k\\u0041y":"v"}', { keep: 1 }),
    ]);
    expect(e!.attributes).toEqual({ keep: 1, msg: 'a "quoted"\nline é', n: -150, ok: true, no: false, obj: '{"x":[1,"}"]}', arr: '[1,2]', kAy: 'v' });
  });
  test('values come back as JSON.parse gives them: numbers of every shape, booleans, short and long, ASCII and not, in a batch whose edit region holds record indices past 255 and spans several 64 KiB text windows', async () => {
    const values: unknown[] = [0, -0, 7, -42, 123456789012345, 1234567890123456789, 0.5, -1.5e-3, 1e21, 3e2, 7.0, true, false, '', 'a', 'é', 'ü-ok', 'x'.repeat(12), 'y'.repeat(13), 'z'.repeat(48), 'w'.repeat(49), 'naïve café ✓'.repeat(5), 'tab\there'];
    const bodies = Array.from({ length: 4000 }, (_, i) => JSON.stringify({ i, s: `${'abcdefghij'.repeat(4)}-${i}`, v: values[i % values.length], [`k${i % 7}é`.slice(0, i % 2 ? 2 : 4)]: i % 3 === 0 }));
    const out = await t('parse_json', {}).process(bodies.map((b) => ev(b)));
    expect(out).toHaveLength(4000);
    out.forEach((e, i) => {
      const want = JSON.parse(bodies[i]!) as Record<string, unknown>;
      expect(e.attributes).toEqual(want);
      expect(Object.is(e.attributes.v, want.v)).toBe(true); // -0 stays -0
    });
  });
  test('prefix; invalid bodies left unchanged (same object) or dropped with drop_invalid', async () => {
    const bad = [ev('not json'), ev('{"a":1'), ev('{"a":1} trailing'), ev('[1,2]')];
    const good = ev(' {"a": "b"} ');
    const out = await t('parse_json', { prefix: 'j.' }).process([...bad, good]);
    expect(out.slice(0, 4)).toEqual(bad);
    for (let i = 0; i < 4; i++) expect(out[i]).toBe(bad[i]);
    expect(out[4]!.attributes).toEqual({ 'j.a': 'b' });
    expect((await t('parse_json', { drop_invalid: true }).process([...bad, good])).map((e) => e.body)).toEqual([' {"a": "b"} ']);
  });
});

describe('parse_logfmt', () => {
  test('pairs, quoted values with escapes, bare keys', async () => {
    const [e] = await t('parse_logfmt', {}).process([ev('level=warn msg="disk \\"sda\\" full" dur=12ms retry')]);
    expect(e!.attributes).toEqual({ level: 'warn', msg: 'disk "sda" full', dur: '12ms', retry: true });
  });
  test('no pairs or an unterminated quote → unchanged, or dropped with drop_invalid', async () => {
    const bad = [ev('just a sentence'), ev('a="open')];
    const out = await t('parse_logfmt', { prefix: 'l.' }).process([...bad, ev('x=1')]);
    expect(out[0]).toBe(bad[0]);
    expect(out[1]).toBe(bad[1]);
    expect(out[2]!.attributes).toEqual({ 'l.x': '1' });
    expect(await t('parse_logfmt', { drop_invalid: true }).process(bad)).toEqual([]);
  });
});

describe('set / rename / remove', () => {
  test('set adds typed attributes; overwrite: false keeps existing values', async () => {
    const [a] = await t('set', { fields: { env: 'prod', shard: 3, canary: false } }).process([ev('x', { env: 'dev' })]);
    expect(a!.attributes).toEqual({ env: 'prod', shard: 3, canary: false });
    const [b] = await t('set', { fields: { env: 'prod', team: 'sre' }, overwrite: false }).process([ev('x', { env: 'dev' })]);
    expect(b!.attributes).toEqual({ env: 'dev', team: 'sre' });
  });
  test('rename keeps value and type; absent keys are ignored', async () => {
    const [e] = await t('rename', { fields: { pid: 'process.pid', nope: 'x' } }).process([ev('x', { pid: 42, other: 'y' })]);
    expect(e!.attributes).toEqual({ 'process.pid': 42, other: 'y' });
  });
  test('remove', async () => {
    const original = { a: '1', b: 2, c: true };
    const [e] = await t('remove', { fields: ['a', 'c', 'missing'] }).process([ev('x', original)]);
    expect(e!.attributes).toEqual({ b: 2 });
    expect(original).toEqual({ a: '1', b: 2, c: true }); // the input event is not mutated
  });
});

test('an attribute named __proto__ (JSON.parse makes it an own key) survives set, remove and parse_json', async () => {
  const attrs = JSON.parse('{"__proto__":"p","a":"1"}') as Record<string, string>;
  const own = (o: object) => Object.entries(Object.getOwnPropertyDescriptors(o)).map(([k, d]) => [k, d.value]).sort((x, y) => String(x[0]).localeCompare(String(y[0])));
  const [s] = await t('set', { fields: { b: 'x' } }).process([ev('x', attrs)]);
  expect(own(s!.attributes)).toEqual([['__proto__', 'p'], ['a', '1'], ['b', 'x']]);
  const [r] = await t('remove', { fields: ['a'] }).process([ev('x', attrs)]);
  expect(own(r!.attributes)).toEqual([['__proto__', 'p']]);
  const [g] = await t('remove', { fields: ['__proto__'] }).process([ev('x', attrs)]);
  expect(own(g!.attributes)).toEqual([['a', '1']]);
  const [j] = await t('parse_json', {}).process([ev('{"__proto__":"q","n":2}')]);
  expect(Object.getOwnPropertyDescriptor(j!.attributes, '__proto__')?.value).toBe('q');
  expect(Object.getPrototypeOf(j!.attributes)).toBe(Object.prototype);
});

describe('route', () => {
  test('first matching route sets flowlog.route; default_route otherwise', async () => {
    const out = await t('route', {
      route: { errors: { severity_at_least: 'error' }, payments: { attribute: 'app', prefix: 'pay' }, audit: { body_contains: 'audit' } },
      default_route: 'rest',
    }).process([ev('boom', { app: 'payments' }, 17), ev('charge', { app: 'payments' }), ev('audit: login'), ev('hello')]);
    expect(out.map((e) => e.attributes['flowlog.route'])).toEqual(['errors', 'payments', 'audit', 'rest']);
  });
  test('without default_route unmatched events are left alone', async () => {
    const e = ev('hello');
    expect((await t('route', { route: { x: { body_contains: 'zzz' } } }).process([e]))[0]).toBe(e);
  });
});

test('order is preserved across chunked batches (max_batch) with drops and edits mixed', async () => {
  const events = Array.from({ length: 10_000 }, (_, i) => ev(`seq=${i} ${i % 3 === 0 ? 'drop' : 'keep'}`, { seq: i }));
  const f = t('filter', { condition: { not: { body_contains: 'drop' } }, max_batch: 777 });
  const s = t('set', { fields: { tagged: true }, max_batch: 1000 });
  const out = await s.process(await f.process(events));
  const seqs = out.map((e) => e.attributes.seq as number);
  expect(seqs).toEqual(events.map((_, i) => i).filter((i) => i % 3 !== 0));
  expect(out.every((e) => e.attributes.tagged === true)).toBe(true);
});

test('a batch with non-ASCII text (per-string encoding path) reads and edits the right bytes', async () => {
  const events = [ev('ascii first', { app: 'web' }), ev('ünïcödé 🚀 ERROR', { app: 'wéb', 'clé': 'välue' }), ev('last ERROR', { app: 'web' })];
  const f = await t('filter', { condition: { all: [{ body_contains: 'ERROR' }, { attribute: 'app', prefix: 'w' }] } }).process(events);
  expect(f.map((e) => e.body)).toEqual(['ünïcödé 🚀 ERROR', 'last ERROR']);
  const r = await t('rename', { fields: { 'clé': 'key', app: 'application' } }).process(events);
  expect(r.map((e) => e.attributes)).toEqual([{ application: 'web' }, { application: 'wéb', key: 'välue' }, { application: 'web' }]);
  const [l] = await t('parse_logfmt', {}).process([ev('naïve=ÿes msg="ça va"')]);
  expect(l!.attributes).toEqual({ 'naïve': 'ÿes', msg: 'ça va' });
  const [m] = await t('redact', {}).process([ev('café user é@exämple.com card 4111111111111111 ✓')]);
  expect(m!.body).toBe('café user é@exämple.com card **************** ✓');
});
