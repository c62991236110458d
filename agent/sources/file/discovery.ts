// Finding files: the paths-provider seam between the tailing engine and what it tails. The file
// source's provider walks include globs (minus exclude globs); kubernetes_logs has its own provider
// over /var/log/pods and /var/lib/docker/containers. Both are called on every scan (fs.watch events
// and every glob_interval_ms) and return the files that should be tailed now.
import { readdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Attr, type Attributes } from '../../../core/event.js';
import { compileGlob, matchesAny, type CompiledGlob } from './glob.js';
import { PlainDecoder, type LineDecoder } from './decoder.js';
import type { TailTarget } from './tailer.js';

export interface PathProvider {
  /** The files to tail now. Unreadable directories are skipped (reported through `onError`). */
  scan(onError: (path: string, err: NodeJS.ErrnoException) => void): Promise<TailTarget[]>;
  /** Directories whose changes should trigger a rescan (watched with fs.watch, non-recursively). */
  watchDirs(): string[];
}

/** Lists a directory; errors other than "does not exist" are reported. */
export async function listDir(dir: string, onError: (path: string, err: NodeJS.ErrnoException) => void) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') onError(dir, err);
    return [];
  }
}

/** Paths under `g.base` matching the glob (symlinks to files and directories are followed). */
export async function walkGlob(g: CompiledGlob, onError: (path: string, err: NodeJS.ErrnoException) => void, dirs?: Set<string>): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    dirs?.add(dir);
    for (const ent of await listDir(dir, onError)) {
      const p = join(dir, ent.name);
      let isDir = ent.isDirectory();
      let isFile = ent.isFile();
      if (ent.isSymbolicLink()) {
        try {
          const st = await stat(p);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue; // dangling link
        }
      }
      if (isFile && g.re.test(p)) found.push(p);
      else if (isDir && depth + 1 < g.depth) await visit(p, depth + 1);
    }
  };
  // a pattern without glob characters names one file
  if (g.depth === 1 && !/[*?[{]/.test(basename(g.pattern))) {
    dirs?.add(dirname(g.pattern));
    return [g.pattern];
  }
  await visit(g.base, 0);
  return found;
}

export const HOST_NAME = hostname();

/** include/exclude globs → plain-text targets with log.file.path, log.file.name, host.name. */
export class GlobProvider implements PathProvider {
  private readonly include: CompiledGlob[];
  private readonly exclude: CompiledGlob[];
  private dirs = new Set<string>();
  private readonly targets = new Map<string, TailTarget>();

  constructor(
    include: readonly string[],
    exclude: readonly string[],
    private readonly decoder: () => LineDecoder = () => new PlainDecoder(),
    private readonly extra: Attributes = {},
  ) {
    this.include = include.map(compileGlob);
    this.exclude = exclude.map(compileGlob);
  }

  async scan(onError: (path: string, err: NodeJS.ErrnoException) => void): Promise<TailTarget[]> {
    const dirs = new Set<string>();
    const paths = new Set<string>();
    for (const g of this.include) for (const p of await walkGlob(g, onError, dirs)) if (!matchesAny(p, this.exclude)) paths.add(p);
    this.dirs = dirs;
    const out: TailTarget[] = [];
    for (const p of paths) {
      let t = this.targets.get(p);
      if (!t) {
        const attrs: Attributes = { ...this.extra, [Attr.filePath]: p, [Attr.fileName]: basename(p), [Attr.hostName]: HOST_NAME };
        t = { path: p, decoder: this.decoder, attributes: () => attrs };
        this.targets.set(p, t);
      }
      out.push(t);
    }
    for (const p of this.targets.keys()) if (!paths.has(p)) this.targets.delete(p);
    return out;
  }

  watchDirs(): string[] {
    return [...this.dirs];
  }
}
