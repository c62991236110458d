// The answer waits for the agent's acknowledgement (given after the spool commit): the harness holds
// the ack, so a 200 before it would be a lie. Rejections, a pipeline that stays full and a commit that
// does not come in time answer 503 with Retry-After, so the sender keeps the records and retries.
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { FlowlogError } from '../../../../core/errors.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const settleState = <T>(p: Promise<T>) => {
  const s = { settled: false };
  p.then(
    () => (s.settled = true),
    () => (s.settled = true),
  );
  return s;
};

describe('http_server answers only after the records are durable', () => {
  it('holds the response until ack(delivered), then 200', async () => {
    h = await startHarness({}, { ack: { kind: 'manual' } });
    const pending = h.post('{"message":"a"}\n{"message":"b"}\n');
    const state = settleState(pending);
    const batch = await h.batchArrived(1);
    expect(batch.events.map((e) => e.body)).toEqual(['a', 'b']);
    // the batch is with the agent but not acknowledged: give the server every chance to answer early
    await new Promise((r) => setTimeout(r, 300));
    expect(state.settled).toBe(false);
    batch.ack!('delivered');
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 2 });
  });

  it('ack(rejected) answers 503 with the reason and Retry-After', async () => {
    h = await startHarness({ retry_after_secs: 7 }, { ack: { kind: 'auto', status: 'rejected', error: new FlowlogError('SPOOL_FULL', 'spool reached max_bytes') } });
    const res = await h.post('{"message":"a"}');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.body.error).toMatch(/spool reached max_bytes/);
    expect(h.metrics.valueOf('flowlog_http_requests_total', { component: 'ingest', status: '503' })).toBe(1);
    expect(h.metrics.valueOf('flowlog_source_events_total', { component: 'ingest' }) ?? 0).toBe(0);
  });

  it('a pipeline that stays full (when_full: block) answers 503 after send_timeout_ms instead of hanging', async () => {
    // capacity 1 and nobody reading: the first batch fills the channel, the second cannot get in
    h = await startHarness({ send_timeout_ms: 200, ack_timeout_ms: 60_000, shutdown_grace_ms: 0 }, { ack: { kind: 'stalled' }, capacity: 1 });
    const first = h.post('{"message":"first"}');
    const second = await h.post('{"message":"second"}');
    expect(second.status).toBe(503);
    expect(second.body.error).toMatch(/pipeline stayed full for send_timeout_ms \(200\)/);
    await h.stop();
    h = undefined;
    // the queued but never acknowledged first request is answered 503 at shutdown, not 200
    expect((await first).status).toBe(503);
  });

  it('records not durable within ack_timeout_ms answer 503', async () => {
    h = await startHarness({ ack_timeout_ms: 150 }, { ack: { kind: 'manual' } });
    const res = await h.post('{"message":"slow"}');
    expect(res.status).toBe(503);
    expect(res.body.error).toMatch(/not durable within ack_timeout_ms/);
    // a late ack after the answer is harmless
    h.batches[0]!.ack!('delivered');
  });

  it('ack(dropped) by the agent policy answers 200 and says the records were dropped', async () => {
    h = await startHarness({}, { ack: { kind: 'auto', status: 'dropped' } });
    const res = await h.post('[{"message":"a"},{"message":"b"}]');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 0, dropped: 2 });
  });

  it('on shutdown a waiting request still gets its 200 when the ack comes within the grace period', async () => {
    h = await startHarness({ shutdown_grace_ms: 30_000 }, { ack: { kind: 'manual' } });
    const pending = h.post('{"message":"in flight"}');
    const batch = await h.batchArrived(1);
    const stopping = h.stop();
    h = undefined;
    batch.ack!('delivered');
    expect((await pending).status).toBe(200);
    await stopping;
  });

  it('more than max_concurrent_requests waiting requests: the extra one gets 503 at once, nothing queued for it', async () => {
    h = await startHarness({ max_concurrent_requests: 2 }, { ack: { kind: 'manual' } });
    const a = h.post('{"message":"a"}');
    const b = h.post('{"message":"b"}');
    await h.batchArrived(2);
    const c = await h.post('{"message":"c"}');
    expect(c.status).toBe(503);
    expect(c.body.error).toMatch(/max_concurrent_requests 2/);
    expect(h.batches).toHaveLength(2);
    for (const batch of h.batches) batch.ack!('delivered');
    expect([(await a).status, (await b).status]).toEqual([200, 200]);
    // capacity is back once they are answered
    const d = h.post('{"message":"d"}');
    (await h.batchArrived(3)).ack!('delivered');
    expect((await d).status).toBe(200);
  });

  it('health checks: GET answers 200 without touching the pipeline', async () => {
    h = await startHarness();
    const res = await request(h.url + '/');
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ status: 'ok' });
    expect(h.batches).toHaveLength(0);
  });
});
