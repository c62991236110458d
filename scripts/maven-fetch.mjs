// Resolves the runtime jars of a test server's pom.xml from Maven Central into .cache/<name>/lib.
// Idempotent: a complete cache (a marker file holding the pom it was resolved from) is reused.
// Shared by scripts/kafka-fetch.mjs and scripts/s3proxy-fetch.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Copies the runtime dependencies of `pom` into `lib`; returns `lib`. Throws with what to fix. */
export function fetchJars({ pom, lib, label, quiet = false }) {
  const marker = join(lib, '.complete');
  const pomText = readFileSync(pom, 'utf8');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === pomText) return lib;
  const mvn = spawnSync('mvn', ['-v'], { stdio: 'ignore' });
  if (mvn.error || mvn.status !== 0) throw new Error('Maven (mvn) is not installed: apt-get install -y maven');
  rmSync(lib, { recursive: true, force: true });
  mkdirSync(lib, { recursive: true });
  if (!quiet) process.stderr.write(`flowlog setup: fetching ${label} from Maven Central into ${lib} ...\n`);
  const r = spawnSync('mvn', ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`, '-DincludeScope=runtime'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`mvn dependency:copy-dependencies failed (exit ${r.status}); see the output above`);
  writeFileSync(marker, pomText);
  return lib;
}

/** Runs `fetch` when the calling script is the entry point: prints the lib dir, or the reason and exit 1. */
export function runAsScript(metaUrl, fetch) {
  if (process.argv[1] !== fileURLToPath(metaUrl)) return;
  try {
    console.log(fetch());
  } catch (e) {
    console.error(String(e.message ?? e));
    process.exit(1);
  }
}
