// Where published archive files go. `ArchiveStore` is the backend contract: publish a complete staged
// file under its final relative path, atomically for readers (local: rename on the same filesystem;
// S3: a multipart upload, which becomes visible only when completed). Publishing is idempotent, so a
// restart can roll a pending publish forward.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FlowlogError } from '../../../core/errors.js';

export interface ArchiveStore {
  /** Human-readable location, for logs (no credentials). */
  readonly where: string;
  publish(stagedFile: string, relPath: string, signal?: AbortSignal): Promise<void>;
  exists(relPath: string): Promise<boolean>;
}

function fsyncPath(p: string, dir = false): void {
  const fd = openSync(p, dir ? 'r' : 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class LocalStore implements ArchiveStore {
  readonly where: string;
  constructor(private readonly root: string) {
    this.where = root;
    mkdirSync(root, { recursive: true, mode: 0o700 });
  }

  async publish(stagedFile: string, relPath: string): Promise<void> {
    const dest = join(this.root, relPath);
    try {
      fsyncPath(stagedFile);
      mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
      renameSync(stagedFile, dest);
      fsyncPath(dirname(dest), true);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && (await this.exists(relPath))) return; // published before a crash
      throw new FlowlogError('ARCHIVE_IO', `cannot publish ${relPath} into ${this.root}: ${(e as Error).message}`, { cause: e });
    }
  }

  async exists(relPath: string): Promise<boolean> {
    try {
      return statSync(join(this.root, relPath)).isFile();
    } catch {
      return false;
    }
  }
}
