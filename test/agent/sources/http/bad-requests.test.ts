// Bad requests are refused with a status and a reason the sender can act on; nothing of them is stored.
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { Client } from 'undici';
import { startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('http_server refuses bad requests with a reason', () => {
  it('413 when Content-Length exceeds max_body_bytes', async () => {
    h = await startHarness({ max_body_bytes: 4096 });
    const res = await h.post('{"message":"' + 'x'.repeat(5000) + '"}');
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/larger than max_body_bytes \(4096\)/);
    expect(h.batches).toHaveLength(0);
  });

  it('413 when a chunked body (no Content-Length) grows past max_body_bytes', async () => {
    h = await startHarness({ max_body_bytes: 4096 });
    async function* chunks() {
      for (let i = 0; i < 10; i++) yield Buffer.from('{"message":"' + 'y'.repeat(1000) + '"}\n');
    }
    const client = new Client(h.url);
    try {
      const res = await client.request({ path: '/', method: 'POST', body: Readable.from(chunks()) });
      expect(res.statusCode).toBe(413);
      expect((await res.body.json()) as unknown).toMatchObject({ error: expect.stringMatching(/max_body_bytes/) });
    } finally {
      await client.close().catch(() => {});
    }
    expect(h.batches).toHaveLength(0);
  });

  it('a gzip bomb is stopped at max_body_bytes of decompressed data (413)', async () => {
    h = await startHarness({ max_body_bytes: 64 * 1024 });
    // 64 MiB of newlines compresses to ~64 KiB... keep the compressed body under the limit too
    const bomb = gzipSync(Buffer.alloc(32 * 1024 * 1024, 0x20), { level: 9 });
    expect(bomb.length).toBeLessThan(64 * 1024);
    const res = await h.post(bomb, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/decompressed body is larger than max_body_bytes \(65536\)/);
    expect(h.batches).toHaveLength(0);
  });

  it('400 naming the line of the bad NDJSON record', async () => {
    h = await startHarness();
    const res = await h.post('{"message":"ok"}\n{"message":"ok"}\n{"message": oops}\n{"message":"ok"}\n');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^line 3: not valid JSON/);
    expect(h.batches).toHaveLength(0);
  });

  it('400 naming line and column inside a JSON array', async () => {
    h = await startHarness();
    const res = await h.post('[\n  {"message":"a"},\n  {"message":"b",}\n]');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^line 3, column \d+: not valid JSON/);
  });

  it('400 for records that are neither objects nor strings, and for corrupt gzip', async () => {
    h = await startHarness();
    const nul = await h.post('[{"message":"a"}, null]');
    expect(nul.status).toBe(400);
    expect(nul.body.error).toMatch(/element 1: a record must be a JSON object or a string/);
    const corrupt = await h.post(gzipSync('{"message":"a"}').subarray(0, 12), { 'content-encoding': 'gzip' });
    expect(corrupt.status).toBe(400);
    expect(corrupt.body.error).toMatch(/not valid gzip data/);
    expect(h.batches).toHaveLength(0);
  });

  it('decoding.codec ndjson refuses a pretty-printed object; auto accepts it', async () => {
    const pretty = '{\n  "message": "multi\\nline",\n  "level": "error"\n}\n';
    h = await startHarness({ decoding: { codec: 'ndjson' } });
    expect((await h.post(pretty)).status).toBe(400);
    await h.stop();
    h = await startHarness();
    const res = await h.post(pretty);
    expect(res.status).toBe(200);
    expect(h.events()[0]!.body).toBe('multi\nline');
    expect(h.events()[0]!.severityNumber).toBe(17);
  });

  it('405 for other methods', async () => {
    h = await startHarness();
    const client = new Client(h.url);
    try {
      const res = await client.request({ path: '/', method: 'DELETE' });
      expect(res.statusCode).toBe(405);
      expect(res.headers.allow).toBe('POST, PUT, GET, HEAD');
      await res.body.dump();
    } finally {
      await client.close();
    }
  });
});
