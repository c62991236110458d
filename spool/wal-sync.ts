// Durable commits without blocking the event loop (sync: full). SQLite commits with synchronous=NORMAL,
// which writes the WAL frames but does not fsync them; this module then fsyncs the WAL file on the
// libuv pool, and an append resolves only after that fsync. fsync makes the *file* durable (Linux and
// POSIX: all modified data of the inode, whichever descriptor wrote it), so fsyncing our own descriptor
// of the WAL after a commit gives what SQLite's own fsync in synchronous=FULL gives — while the event
// loop encodes and commits the next batches. Commits that land while an fsync runs share the next one
// (group commit). SQLite's checkpoints still fsync the WAL and the database themselves (NORMAL does).
import { closeSync, fstatSync, fsync, openSync, statSync } from 'node:fs';

export interface SyncWaiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

/** The fsync used; replaceable so a test can hold or fail it. */
export type FsyncFn = (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => void;

export class WalSync {
  private fd: number | null = null;
  private ino = -1;
  private running = false;
  private waiting: SyncWaiter[] = [];
  private idle: (() => void)[] = [];

  constructor(
    private readonly walPath: string,
    private readonly observe: (seconds: number) => void,
    /** Maps a failed fsync to the error its waiters are rejected with (and reports it). */
    private readonly failed: (e: Error) => Error,
    private readonly fsyncFn: FsyncFn = fsync,
  ) {}

  /** Settles `waiters` once everything committed before this call is on disk (or the fsync failed). */
  after(waiters: readonly SyncWaiter[]): void {
    for (const w of waiters) this.waiting.push(w);
    if (!this.running) this.start();
  }

  /** Resolves when no fsync is running or waiting. */
  drain(): Promise<void> {
    if (!this.running && this.waiting.length === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  /** Closes the descriptor; call after drain(). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private start(): void {
    const batch = this.waiting;
    this.waiting = [];
    this.running = true;
    let fd: number;
    try {
      fd = this.descriptor();
    } catch (e) {
      queueMicrotask(() => this.finish(batch, e as Error));
      return;
    }
    const t0 = performance.now();
    this.fsyncFn(fd, (err) => {
      this.observe((performance.now() - t0) / 1000);
      this.finish(batch, err);
    });
  }

  private finish(batch: SyncWaiter[], err: Error | null): void {
    this.running = false;
    const e = err ? this.failed(err) : null;
    for (const w of batch) {
      if (e) w.reject(e);
      else w.resolve();
    }
    if (this.waiting.length) this.start();
    else for (const f of this.idle.splice(0)) f();
  }

  /**
   * A descriptor of the current WAL file. SQLite keeps one WAL file for the life of the connection
   * (a TRUNCATE checkpoint shortens it in place), but a descriptor is only reused while the path
   * still names the same inode, so an fsync can never go to a file SQLite no longer writes.
   */
  private descriptor(): number {
    const ino = statSync(this.walPath).ino;
    if (this.fd !== null && ino === this.ino) return this.fd;
    this.close();
    this.fd = openSync(this.walPath, 'r');
    this.ino = fstatSync(this.fd).ino;
    return this.fd;
  }
}
