// Requests shaped as Fluent Bit's `http` output sends them, from its documented options:
// `Format json` → one JSON array of records; `Format json_lines` → one record per line;
// `json_date_key` (default `date`) with `json_date_format double` (default: epoch seconds with
// microseconds as a float) or `iso8601`; `Compress gzip` → Content-Encoding: gzip;
// `Header Authorization Bearer ...` for a token; `Format msgpack` (the default) is refused with 415.
// Records are what the tail input + kubernetes filter produce (`log`, `stream`, `kubernetes.*`).
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { Attr } from '../../../../core/event.js';
import { startHarness, type Harness } from './harness.js';

const record = (date: number | string, log: string) => ({
  date,
  log,
  stream: 'stdout',
  time: '2026-11-24T09:00:00.000000001Z', // the container runtime's own time field, kept as an attribute
  kubernetes: { pod_name: 'api-5c8', namespace_name: 'payments', container_name: 'api', docker_id: 'abc123', host: 'node-7', labels: { app: 'api' } },
});

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('http_server receives Fluent Bit http output requests', () => {
  it('Format json, json_date_format double: date is epoch seconds with microseconds', async () => {
    h = await startHarness();
    const body = JSON.stringify([record(1795939200.123456, 'GET /pay 200'), record(1795939201.5, 'GET /pay 500')]);
    const res = await h.post(body, { 'content-type': 'application/json', 'user-agent': 'Fluent-Bit' });
    expect(res.status).toBe(200);
    const [a, b] = h.events();
    expect(a!.body).toBe('GET /pay 200');
    expect([a!.timeMs, a!.timeNs]).toEqual([1795939200123, 456000]);
    expect([b!.timeMs, b!.timeNs]).toEqual([1795939201500, 0]);
    expect(a!.attributes).toEqual({
      [Attr.source]: 'ingest',
      [Attr.iostream]: 'stdout',
      time: '2026-11-24T09:00:00.000000001Z',
      [Attr.k8sPod]: 'api-5c8',
      [Attr.k8sNamespace]: 'payments',
      [Attr.k8sContainer]: 'api',
      [Attr.containerId]: 'abc123',
      [Attr.k8sNode]: 'node-7',
      'kubernetes.labels.app': 'api',
    });
  });

  it('Format json_lines, json_date_format iso8601, Compress gzip, bearer header', async () => {
    h = await startHarness({ auth: { token: 'fluent-bit-token-000000' } });
    const lines = [record('2026-11-24T09:00:00.000681Z', 'one'), record('2026-11-24T09:00:01.000000Z', 'two'), record('2026-11-24T09:00:02.000000Z', 'three')];
    const body = gzipSync(lines.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const res = await h.post(body, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip', authorization: 'Bearer fluent-bit-token-000000' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 3 });
    expect(h.events().map((e) => e.body)).toEqual(['one', 'two', 'three']);
    expect([h.events()[0]!.timeMs, h.events()[0]!.timeNs]).toEqual([Date.parse('2026-11-24T09:00:00.000Z'), 681000]);
  });

  it('Format json_lines with json_date_format epoch_ms (integer milliseconds)', async () => {
    h = await startHarness();
    const res = await h.post(JSON.stringify({ date: 1795939200123, log: 'ms' }) + '\n');
    expect(res.status).toBe(200);
    expect(h.events()[0]!.timeMs).toBe(1795939200123);
  });

  it('Format msgpack (the default) gets 415 saying which Format to set', async () => {
    h = await startHarness();
    const res = await h.post(Buffer.from([0x92, 0xce, 0x5e, 0xa1, 0x00, 0x00, 0x81, 0xa3, 0x6c, 0x6f, 0x67, 0xa1, 0x78]), { 'content-type': 'application/msgpack' });
    expect(res.status).toBe(415);
    expect(res.body.error).toMatch(/Format json_lines/);
    expect(h.events()).toHaveLength(0);
  });

  it('Uri /fluent with path configured: other paths get 404', async () => {
    h = await startHarness({ path: '/fluent' });
    const wrong = await h.post('{"log":"x"}', {}, '/');
    expect(wrong.status).toBe(404);
    const right = await h.post('{"log":"x"}', {}, '/fluent?tag=kube');
    expect(right.status).toBe(200);
    expect(h.events().map((e) => e.body)).toEqual(['x']);
  });
});
