// `npm run bench`: runs every benchmark in bench/ (or those named on the command line) one after the
// other, each in its own process so one's memory and JIT state do not colour the next.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.ts$/, '')))
  .sort();
if (benches.length === 0) {
  console.error(`no benchmark matched ${wanted.join(', ')}; available: ${readdirSync(here).join(', ')}`);
  process.exit(1);
}
let failed = 0;
for (const b of benches) {
  console.log(`\n## ${b}\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(here, b)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`bench ${b} failed (exit ${r.status})`);
  }
}
process.exit(failed ? 1 : 0);
