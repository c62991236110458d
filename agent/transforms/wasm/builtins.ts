// Where the built-in modules live (build/transforms/<name>.wasm, built by scripts/build-wasm.mjs).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlowlogError } from '../../../core/errors.js';

let dir: string | null = null;

/** The directory holding built-in modules: $FLOWLOG_TRANSFORMS_DIR, else build/transforms at the package root. */
export function builtinDir(): string {
  if (dir) return dir;
  if (process.env.FLOWLOG_TRANSFORMS_DIR) return (dir = process.env.FLOWLOG_TRANSFORMS_DIR);
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'transforms', 'sdk'))) return (dir = join(d, 'build', 'transforms'));
    d = dirname(d);
  }
  return (dir = join(process.cwd(), 'build', 'transforms'));
}

export function builtinPath(name: string): string {
  const p = join(builtinDir(), `${name}.wasm`);
  if (!existsSync(p)) {
    throw new FlowlogError('TRANSFORM_LOAD', `built-in transform module ${p} is missing; run \`npm run build\` (scripts/build-wasm.mjs)`);
  }
  return p;
}
