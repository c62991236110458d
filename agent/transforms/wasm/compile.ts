// Compiles an AssemblyScript transform to a flowlog module (ABI v1) with the programmatic asc API:
// the same flags as scripts/asc-args.mjs (keep them in sync). A source may import the SDK as
// "flowlog/sdk" and "flowlog/sdk/exports"; those specifiers are resolved to this install's SDK.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix as pathPosix, relative, resolve } from 'node:path';
import { FlowlogError } from '../../../core/errors.js';
import { builtinDir } from './builtins.js';

export function sdkDir(): string {
  const d = join(dirname(builtinDir()), '..', 'transforms', 'sdk');
  if (!existsSync(join(d, 'index.ts'))) throw new FlowlogError('TRANSFORM_LOAD', `the AssemblyScript SDK is not at ${d}`);
  return resolve(d);
}

const posix = (p: string) => p.split('\\').join('/');

export interface CompileResult {
  binary: Uint8Array;
  /** asc diagnostics (warnings and errors), as printed. */
  diagnostics: string;
}

/**
 * `component: true` builds the core module of a component transform (the source re-exports
 * "flowlog/sdk/component"): memory exported instead of imported, abort routed to the SDK glue.
 */
export async function compileTransform(src: string, opts: { optimize?: boolean; component?: boolean } = {}): Promise<CompileResult> {
  const entry = resolve(src);
  if (!existsSync(entry)) throw new FlowlogError('TRANSFORM_LOAD', `source ${src} not found`);
  const sdk = sdkDir();
  const cwd = process.cwd();
  let rel = posix(relative(dirname(entry), sdk));
  if (!rel.startsWith('.')) rel = './' + rel;
  const rewrite = (text: string) => text.replace(/(["'])flowlog\/sdk(\/[A-Za-z_]+)?\1/g, (_m, q: string, sub?: string) => `${q}${rel}${sub ?? ''}${q}`);
  const { default: asc } = (await import('assemblyscript/asc')) as unknown as {
    default: {
      main(
        argv: string[],
        o: {
          stdout: { write(s: string): boolean };
          stderr: { write(s: string): boolean };
          readFile(name: string, base: string): string | null;
          writeFile(name: string, data: Uint8Array | string, base: string): void;
        },
      ): Promise<{ error: Error | null }>;
    };
  };
  let binary: Uint8Array | null = null;
  let diagnostics = '';
  const entryRel = posix(relative(cwd, entry));
  const { error } = await asc.main(
    [
      entryRel,
      '-o', 'flowlog-out.wasm',
      opts.optimize === false ? '-O0' : '-O3',
      '--enable', 'simd',
      '--runtime', 'incremental',
      '--noAssert',
      ...(opts.component
        ? ['--use', `abort=${posix(pathPosix.normalize(pathPosix.join(pathPosix.dirname(entryRel), rel, 'component')))}/componentAbort`]
        : ['--importMemory', '--initialMemory', '2', '--maximumMemory', '65536']),
    ],
    {
      stdout: { write: () => true },
      stderr: { write: (s: string) => ((diagnostics += s), true) },
      readFile: (name: string, base: string) => {
        if (name.startsWith('~lib/')) return null;
        const p = resolve(base, name);
        if (!existsSync(p)) return null;
        const text = readFileSync(p, 'utf8');
        return p.endsWith('.ts') ? rewrite(text) : text;
      },
      writeFile: (name: string, data: Uint8Array | string) => {
        if (name.endsWith('.wasm') && typeof data !== 'string') binary = data;
      },
    },
  );
  if (error || !binary) {
    throw new FlowlogError('TRANSFORM_LOAD', `asc failed to compile ${src}: ${error?.message ?? 'no output'}\n${diagnostics.trim()}`);
  }
  return { binary, diagnostics };
}
