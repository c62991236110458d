// Requests shaped exactly as Vector's `http` sink sends them, from its documented options:
// `encoding.codec = "json"` → one JSON array per request (Content-Type application/json);
// `encoding.codec = "json"` + `framing.method = "newline_delimited"` (or the legacy `ndjson` codec)
// → NDJSON (application/x-ndjson); `compression = "gzip"` → Content-Encoding: gzip;
// `auth.strategy = "bearer"` → Authorization: Bearer <token>. The events are Vector's log events as
// its `file` and `kubernetes_logs` sources produce them.
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { Attr } from '../../../../core/event.js';
import { startHarness, type Harness } from './harness.js';

const fileEvents = [
  { file: '/var/log/app/app.log', host: 'node-1', message: 'started worker 1', source_type: 'file', timestamp: '2026-11-24T10:00:00.123456789Z' },
  { file: '/var/log/app/app.log', host: 'node-1', message: 'started worker 2', source_type: 'file', timestamp: '2026-11-24T10:00:01.5Z' },
];

const k8sEvent = {
  file: '/var/log/pods/shop_cart-7d9f_0c1e/cart/0.log',
  kubernetes: {
    container_name: 'cart',
    pod_name: 'cart-7d9f',
    pod_namespace: 'shop',
    pod_node_name: 'node-2',
    pod_uid: '0c1e',
    pod_labels: { app: 'cart', 'app.kubernetes.io/version': '1.4' },
  },
  message: '{"level":"warn","msg":"slow"}',
  source_type: 'kubernetes_logs',
  stream: 'stderr',
  timestamp: '2026-11-24T10:00:02Z',
  level: 'warn',
};

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('http_server receives Vector http sink requests', () => {
  it('codec json: a JSON array body, each Vector event mapped to the event model', async () => {
    h = await startHarness();
    const res = await h.post(JSON.stringify(fileEvents), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 2 });
    const [a, b] = h.events();
    expect(a!.body).toBe('started worker 1');
    expect([a!.timeMs, a!.timeNs]).toEqual([Date.parse('2026-11-24T10:00:00.123Z'), 456789]);
    expect(b!.timeMs).toBe(Date.parse('2026-11-24T10:00:01.500Z'));
    expect(a!.attributes).toEqual({
      [Attr.source]: 'ingest',
      [Attr.filePath]: '/var/log/app/app.log',
      [Attr.hostName]: 'node-1',
      source_type: 'file',
    });
  });

  it('codec json + newline_delimited framing, gzip: kubernetes fields become k8s.* attributes', async () => {
    h = await startHarness();
    const ndjson = [k8sEvent, { ...k8sEvent, message: 'second' }].map((e) => JSON.stringify(e)).join('\n') + '\n';
    const res = await h.post(gzipSync(ndjson), { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 2 });
    const [e] = h.events();
    expect(e!.body).toBe('{"level":"warn","msg":"slow"}');
    expect(e!.severityText).toBe('warn');
    expect(e!.severityNumber).toBe(13);
    expect(e!.attributes).toMatchObject({
      [Attr.k8sNamespace]: 'shop',
      [Attr.k8sPod]: 'cart-7d9f',
      [Attr.k8sContainer]: 'cart',
      [Attr.k8sNode]: 'node-2',
      [Attr.k8sPodUid]: '0c1e',
      [Attr.iostream]: 'stderr',
      'kubernetes.pod_labels.app': 'cart',
      'kubernetes.pod_labels.app.kubernetes.io/version': '1.4',
    });
    expect(h.events()[1]!.body).toBe('second');
  });

  it('auth.strategy bearer: the right token passes, a wrong or missing one gets 401 and nothing is stored', async () => {
    process.env.FLOWLOG_TEST_HTTP_TOKEN = 's3cr3t-token-0123456789';
    h = await startHarness({ auth: { token: process.env.FLOWLOG_TEST_HTTP_TOKEN } });
    const body = JSON.stringify(fileEvents);
    const missing = await h.post(body, { 'content-type': 'application/json' });
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="flowlog"');
    const wrong = await h.post(body, { 'content-type': 'application/json', authorization: 'Bearer s3cr3t-token-0123456788' });
    expect(wrong.status).toBe(401);
    const basic = await h.post(body, { authorization: 'Basic ' + Buffer.from('u:s3cr3t-token-0123456789').toString('base64') });
    expect(basic.status).toBe(401);
    expect(h.events()).toHaveLength(0);
    const ok = await h.post(body, { 'content-type': 'application/json', authorization: 'Bearer s3cr3t-token-0123456789' });
    expect(ok.status).toBe(200);
    expect(h.events()).toHaveLength(2);
    // the token never reaches the log
    expect(JSON.stringify(h.log.records)).not.toContain('s3cr3t');
    expect(h.metrics.valueOf('flowlog_http_requests_total', { component: 'ingest', status: '401' })).toBe(3);
    expect(h.metrics.valueOf('flowlog_http_requests_total', { component: 'ingest', status: '200' })).toBe(1);
  });

  it('compression zstd (Vector option) is refused with 415 and the reason; snappy too', async () => {
    h = await startHarness();
    const zstd = await h.post(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]), { 'content-encoding': 'zstd' });
    expect(zstd.status).toBe(415);
    expect(zstd.body.error).toMatch(/zstd is not supported.*gzip/);
    const snappy = await h.post(Buffer.from('x'), { 'content-encoding': 'snappy' });
    expect(snappy.status).toBe(415);
    expect(h.events()).toHaveLength(0);
  });

  it('counts events and bytes', async () => {
    h = await startHarness();
    const gz = gzipSync(JSON.stringify(fileEvents));
    await h.post(gz, { 'content-encoding': 'gzip' });
    expect(h.metrics.valueOf('flowlog_source_events_total', { component: 'ingest' })).toBe(2);
    expect(h.metrics.valueOf('flowlog_http_received_bytes_total', { component: 'ingest' })).toBe(gz.length);
    expect(h.metrics.valueOf('flowlog_http_decoded_bytes_total', { component: 'ingest' })).toBe(Buffer.byteLength(JSON.stringify(fileEvents)));
  });
});
