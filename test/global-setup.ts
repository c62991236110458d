// Vitest global setup: starts one real Kafka broker for the whole run and always stops it (also when
// tests fail or the run is interrupted). Tests read its address with `inject('kafkaBootstrap')`.
// Without Java or the Kafka jars the Kafka tests skip with a one-line reason; with CI=true that fails the run.
import type { TestProject } from 'vitest/node';
import { brokerUnavailableReason, startBroker, type RunningBroker } from './kafka/broker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBootstrap: string;
    kafkaUnavailable: string;
  }
}

let broker: RunningBroker | undefined;

export default async function setup(project: TestProject) {
  const reason = brokerUnavailableReason();
  if (reason) {
    if (process.env.CI === 'true') throw new Error(`CI=true and the Kafka broker cannot run: ${reason}`);
    process.stderr.write(`flowlog tests: Kafka tests skip: ${reason}\n`);
    project.provide('kafkaBootstrap', '');
    project.provide('kafkaUnavailable', reason);
    return;
  }
  broker = await startBroker({ heap: '768m' });
  project.provide('kafkaBootstrap', broker.bootstrap);
  project.provide('kafkaUnavailable', '');
  const stop = () => broker?.kill();
  process.once('exit', stop);
  process.once('SIGINT', () => (stop(), process.exit(130)));
  process.once('SIGTERM', () => (stop(), process.exit(143)));
  return async () => {
    await broker?.stop();
    broker = undefined;
  };
}
