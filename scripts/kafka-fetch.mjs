#!/usr/bin/env node
// Resolves the Apache Kafka broker jars (test/kafka/pom.xml) from Maven Central into .cache/kafka/lib.
// Idempotent: a complete cache is reused. Exit 0 on success, 1 with the reason on stderr.
import { join } from 'node:path';
import { fetchJars, root, runAsScript } from './maven-fetch.mjs';

const lib = join(root, '.cache', 'kafka', 'lib');

export function kafkaLibDir() {
  return lib;
}

export function fetchKafka({ quiet = false } = {}) {
  return fetchJars({ pom: join(root, 'test', 'kafka', 'pom.xml'), lib, label: 'Apache Kafka 4.3.1', quiet });
}

runAsScript(import.meta.url, fetchKafka);
