#!/usr/bin/env node
// Resolves S3Proxy (test/s3proxy/pom.xml) from Maven Central into .cache/s3proxy/lib, for the archive's
// S3 tests. Idempotent: a complete cache (marker file) is reused. Exit 0 on success, 1 with the reason.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pom = join(root, 'test', 's3proxy', 'pom.xml');
const lib = join(root, '.cache', 's3proxy', 'lib');
const marker = join(lib, '.complete');

export function fetchS3Proxy({ quiet = false } = {}) {
  const pomText = readFileSync(pom, 'utf8');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === pomText) return lib;
  const mvn = spawnSync('mvn', ['-v'], { stdio: 'ignore' });
  if (mvn.error || mvn.status !== 0) throw new Error('Maven (mvn) is not installed: apt-get install -y maven');
  rmSync(lib, { recursive: true, force: true });
  mkdirSync(lib, { recursive: true });
  if (!quiet) process.stderr.write('flowlog setup: fetching S3Proxy from Maven Central into .cache/s3proxy/lib ...\n');
  const r = spawnSync('mvn', ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`, '-DincludeScope=runtime'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`mvn dependency:copy-dependencies failed (exit ${r.status}); see the output above`);
  writeFileSync(marker, pomText);
  return lib;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    console.log(fetchS3Proxy());
  } catch (e) {
    console.error(String(e.message ?? e));
    process.exit(1);
  }
}
