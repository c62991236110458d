// The producer thread against the real broker: queued requests go out strictly in order, and once one
// fails, the ones queued behind it are not sent (they come back `skipped`), so a retry of the failed
// request can never be overtaken. Requests sent after the failure was seen go out again.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kafkaSinkConfig } from '../../../../agent/sinks/kafka/config.js';
import { classifyError } from '../../../../agent/sinks/kafka/producer.js';
import { ThreadProducer } from '../../../../agent/sinks/kafka/producer-thread.js';
import { memoryLogger } from '../../../../core/telemetry/logger.js';
import { consumeAll } from '../../../helpers/consume.js';
import { createTopic, kafkaBootstrap, kafkaSkip, uniqueTopic } from '../../../helpers/kafka.js';

const settle = (p: Promise<void>) => p.then(() => 'ok' as const, (e: Error & { skipped?: boolean }) => e);

describe.skipIf(kafkaSkip())('kafka producer thread', () => {
  it('sends queued requests in order; after a failure, skips what was queued behind it', async () => {
    const topic = uniqueTopic('thread');
    await createTopic(topic, 1);
    const cfg = kafkaSinkConfig.parse({ bootstrap_servers: kafkaBootstrap(), topic, compression: 'none' });
    const p = new ThreadProducer(cfg, mkdtempSync(join(tmpdir(), 'flowlog-pt-')), memoryLogger());
    const req = (v: string | Buffer) => [{ topic, messages: [{ key: null, value: Buffer.isBuffer(v) ? v : Buffer.from(v) }] }];
    try {
      // four queued at once: all sent, in order
      const first = await Promise.all(['a1', 'a2', 'a3', 'a4'].map((v) => settle(p.send(req(v)))));
      expect(first).toEqual(['ok', 'ok', 'ok', 'ok']);
      // the broker refuses a 2 MB record for good (message.max.bytes is 1 MiB): the two behind it are skipped
      const big = Buffer.alloc(2 * 1024 * 1024, 120);
      const [tooBig, b1, b2] = await Promise.all([settle(p.send(req(big))), settle(p.send(req('b1'))), settle(p.send(req('b2')))]);
      expect(tooBig).not.toBe('ok');
      expect(classifyError(tooBig)).toBe('too_large');
      expect((tooBig as { skipped?: boolean }).skipped).toBe(false);
      for (const r of [b1, b2]) {
        expect(r).not.toBe('ok');
        expect((r as { skipped?: boolean }).skipped).toBe(true);
        expect(classifyError(r)).toBe('retry');
      }
      // sent again after the failure was seen: they go out, in order
      expect(await Promise.all([settle(p.send(req('b1'))), settle(p.send(req('b2')))])).toEqual(['ok', 'ok']);
    } finally {
      await p.close();
    }
    const got = await consumeAll(kafkaBootstrap(), [topic], { events: 6, quietMs: 1000 });
    expect(got.map((m) => m.value.toString())).toEqual(['a1', 'a2', 'a3', 'a4', 'b1', 'b2']);
  });
});
