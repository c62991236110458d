// The real Apache Kafka broker (test/global-setup.ts) with kafkajs: produce, then consume as a group.
import { describe, expect, it } from 'vitest';
import { kafkaClient, kafkaSkip, uniqueTopic } from '../helpers/kafka.js';
import { decodeMessage, encodeEvent, encodeNdjson } from '../../core/codec.js';
import { newEvent } from '../../core/event.js';

describe.skipIf(kafkaSkip())('real Kafka broker', () => {
  it('round-trips both framings with an idempotent producer and a consumer group', async () => {
    const kafka = kafkaClient();
    const topic = uniqueTopic('roundtrip');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const events = Array.from({ length: 100 }, (_, i) => newEvent(`seq=${i}`, { 'host.name': 'h' }));
    await producer.send({
      topic,
      acks: -1,
      messages: [
        ...events.slice(0, 50).map((e) => ({ key: 'h', value: encodeEvent(e) })),
        { key: 'h', value: encodeNdjson(events.slice(50)) },
      ],
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `${topic}-g` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out with ${seen.length} events`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const r = decodeMessage(message.value!, Number(message.timestamp));
          expect(r.errors).toEqual([]);
          seen.push(...r.events.map((e) => e.body));
          if (seen.length >= 100) {
            clearTimeout(t);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    expect(seen).toEqual(events.map((e) => e.body));
  });
});
