// Starts a worker thread from a module next to the caller. Built code (dist/) runs the compiled .js
// file. From TypeScript sources (tests, `node --import tsx`) loader hooks do not reliably reach several
// concurrent workers on Node 20, so the worker and its imports are bundled once with esbuild (present
// wherever tsx is) and started as plain CommonJS code. `import.meta.url` inside the bundle is the
// worker source's URL, so createRequire(import.meta.url) still finds native packages (lz4-napi).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const bundles = new Map<string, string>();

/** `callerUrl` is the caller's import.meta.url; `name` the worker module's base name (no extension). */
export function startWorker(callerUrl: string, name: string): Worker {
  const here = new URL('.', callerUrl);
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`${name}.js`, here));
  const entry = new URL(`${name}.ts`, here);
  let code = bundles.get(entry.href);
  if (code === undefined) {
    const require = createRequire(callerUrl);
    const esbuild = require('esbuild') as { buildSync(o: object): { outputFiles: { text: string }[] } };
    code = esbuild.buildSync({
      entryPoints: [fileURLToPath(entry)],
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      define: { 'import.meta.url': JSON.stringify(entry.href) },
      logLevel: 'silent',
    }).outputFiles[0]!.text;
    bundles.set(entry.href, code);
  }
  return new Worker(code, { eval: true });
}
