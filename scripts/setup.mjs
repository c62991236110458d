#!/usr/bin/env node
// `npm test`'s own setup (pretest): everything the suite needs that is not an npm package.
// 1. The Apache Kafka broker jars (Maven Central → .cache/kafka/lib).
// 2. The WASM transforms (AssemblyScript → build/transforms/*.wasm), when the transforms exist.
// Each step prints one line; a missing tool is a clear error (with CI=true) or a skip reason.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchKafka } from './kafka-fetch.mjs';
import { fetchS3Proxy } from './s3proxy-fetch.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ci = process.env.CI === 'true';
let failed = false;

function step(name, fn) {
  const t0 = Date.now();
  try {
    const what = fn();
    process.stderr.write(`setup: ${name}: ${what ?? 'ok'} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  } catch (e) {
    process.stderr.write(`setup: ${name}: ${e.message ?? e}\n`);
    if (ci) failed = true;
  }
}

step('kafka broker jars', () => fetchKafka({ quiet: true }));
step('s3proxy jars', () => fetchS3Proxy({ quiet: true }));

const wasmBuild = join(root, 'scripts', 'build-wasm.mjs');
if (existsSync(wasmBuild)) {
  step('wasm transforms', () => {
    const r = spawnSync(process.execPath, [wasmBuild], { stdio: 'inherit', cwd: root });
    if (r.status !== 0) throw new Error(`scripts/build-wasm.mjs failed (exit ${r.status})`);
    return 'built';
  });
}

if (failed) process.exit(1);
