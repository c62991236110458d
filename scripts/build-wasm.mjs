#!/usr/bin/env node
// Compiles the AssemblyScript transforms: transforms/builtins/*.ts → build/transforms/<name>.wasm, the
// host kernels transforms/kernels/*.ts → build/transforms/kernels/, and
// (unless --builtins-only) the test fixtures test/fixtures/transforms/*.as.ts → build/test-transforms/.
// Called by scripts/setup.mjs (npm test) and by `npm run build`. Skips modules that are up to date.
// Usage: node scripts/build-wasm.mjs [--force] [--builtins-only]
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ascArgs } from './asc-args.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root); // asc resolves --use paths against the working directory
const force = process.argv.includes('--force');
const sets = [
  [join(root, 'transforms', 'builtins'), '.ts', join(root, 'build', 'transforms')],
  // component transforms: core modules with the component glue (wrapped by `flowlog transform build --component`
  // or agent/transforms/component/build.ts)
  [join(root, 'transforms', 'components'), '.ts', join(root, 'build', 'transforms', 'components'), 'component'],
  // host-side kernels (trusted, used by the agent itself: no imports, their own memory)
  [join(root, 'transforms', 'kernels'), '.ts', join(root, 'build', 'transforms', 'kernels'), 'kernel'],
];
const fixtures = join(root, 'test', 'fixtures', 'transforms');
if (!process.argv.includes('--builtins-only') && existsSync(fixtures)) sets.push([fixtures, '.as.ts', join(root, 'build', 'test-transforms')]);

const newest = (dir) => Math.max(...readdirSync(dir).map((f) => statSync(join(dir, f)).mtimeMs));
const sdkTime = newest(join(root, 'transforms', 'sdk'));
const { default: asc } = await import('assemblyscript/asc');

let built = 0;
for (const [srcDir, ext, outDir, kind] of sets) {
  mkdirSync(outDir, { recursive: true });
  for (const file of readdirSync(srcDir).filter((f) => f.endsWith(ext)).sort()) {
    const name = file.slice(0, -ext.length);
    const src = join(srcDir, file);
    const out = join(outDir, kind === 'component' ? `${name}.core.wasm` : `${name}.wasm`);
    if (!force && existsSync(out) && statSync(out).mtimeMs > Math.max(sdkTime, statSync(src).mtimeMs)) continue;
    const t0 = Date.now();
    const err = [];
    const { error } = await asc.main(ascArgs(src, out, kind), {
      stdout: { write: () => true },
      stderr: { write: (s) => (err.push(String(s)), true) },
    });
    if (error) {
      process.stderr.write(err.join(''));
      process.stderr.write(`build-wasm: ${name} failed: ${error.message}\n`);
      process.exit(1);
    }
    built++;
    process.stderr.write(`build-wasm: ${name}.wasm (${Date.now() - t0} ms)\n`);
  }
}
process.stderr.write(`build-wasm: ${built} built, output in build/transforms/\n`);
