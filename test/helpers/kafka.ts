// Access to the run's real Kafka broker (started by test/global-setup.ts).
import { inject } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';

export const kafkaBootstrap = (): string => inject('kafkaBootstrap');
/** Non-empty when the broker cannot run here (then `describe.skipIf(kafkaSkip())`). */
export const kafkaSkip = (): string => inject('kafkaUnavailable');

export function kafkaClient(clientId = 'flowlog-test'): Kafka {
  return new Kafka({ clientId, brokers: [kafkaBootstrap()], logLevel: logLevel.NOTHING });
}

let seq = 0;
/** A topic name unique to this test run and file. */
export function uniqueTopic(prefix = 't'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${seq++}`;
}

/** Creates `topic` with `partitions` partitions on the run's broker. */
export async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
