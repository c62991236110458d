#!/usr/bin/env node
// Resolves S3Proxy (test/s3proxy/pom.xml) from Maven Central into .cache/s3proxy/lib, for the archive's
// S3 tests. Idempotent: a complete cache is reused. Exit 0 on success, 1 with the reason on stderr.
import { join } from 'node:path';
import { fetchJars, root, runAsScript } from './maven-fetch.mjs';

export function fetchS3Proxy({ quiet = false } = {}) {
  return fetchJars({ pom: join(root, 'test', 's3proxy', 'pom.xml'), lib: join(root, '.cache', 's3proxy', 'lib'), label: 'S3Proxy', quiet });
}

runAsScript(import.meta.url, fetchS3Proxy);
