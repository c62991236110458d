// Runs a module in its own worker thread (`worker_thread: true`), with up to QUEUE_DEPTH batches
// queued on it so the pipeline thread encodes the next batches while the worker runs this one. The
// worker takes batches in order; the time budget of a batch starts when it reaches the head of the
// queue (the worker is then running it). A batch over budget is failed (TRANSFORM_TIMEOUT), the
// worker terminated (~3 ms) and respawned, and the batches queued behind it are posted again to the
// new worker: each job keeps its bytes until it is answered, so none is lost or reordered.
import type { Worker } from 'node:worker_threads';
import { FlowlogError, type ErrorCodeName } from '../../../core/errors.js';
import { startWorker } from '../../../core/worker.js';
import type { BatchResult } from './decode.js';
import type { EncodedBatch } from './encode.js';
import type { LoadedModule } from './module-cache.js';
import type { Runner, RunnerOptions } from './runner.js';
import type { FromWorker, ToWorker } from './worker.js';

/** Batches a transform keeps queued on its worker (the pipeline's window for it). */
export const QUEUE_DEPTH = 4;
/** Starting a thread takes time of its own: the load gets this much at least, so an init that never returns is refused. */
const WORKER_LOAD_LIMIT_MS = 30_000;

interface Job {
  id: number;
  input: Uint8Array;
  count: number;
  resolve: (r: BatchResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
}

export class WorkerRunner implements Runner {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private loaded = false;
  /** Loaded at least once: needs and attrKeys are known. */
  initialized = false;
  private readonly jobs: Job[] = [];
  private nextId = 1;
  private closed = false;
  private drained: (() => void)[] = [];
  needs = 0;
  attrKeys: string[] | null = null;

  constructor(
    private readonly mod: LoadedModule,
    private readonly opts: RunnerOptions & { timeBudgetMs: number },
  ) {}

  /** Starts the worker and initializes the module (rejects with TRANSFORM_LOAD on a bad module). */
  start(): Promise<void> {
    if (this.ready) return this.ready;
    const w = startWorker(import.meta.url, 'worker');
    w.unref();
    this.worker = w;
    this.ready = new Promise<void>((resolve, reject) => {
      const limit = Math.max(this.opts.timeBudgetMs, WORKER_LOAD_LIMIT_MS);
      const loadFailed = (e: FlowlogError) => {
        clearTimeout(timer);
        this.kill();
        for (const j of this.jobs.splice(0)) this.answer(j, () => j.reject(e));
        reject(e);
      };
      const timer = setTimeout(
        () => loadFailed(new FlowlogError('TRANSFORM_LOAD', `${this.mod.source}: the worker did not finish loading the module (flowlog_init) within ${limit} ms; stopped`)),
        limit,
      );
      w.on('message', (m: FromWorker) => {
        if (w !== this.worker) return; // a worker we already stopped
        if (m.t === 'log') return this.opts.log(m.level, m.msg);
        if (m.t === 'loaded') {
          clearTimeout(timer);
          this.loaded = this.initialized = true;
          this.needs = m.needs;
          this.attrKeys = m.attrKeys;
          for (const j of this.jobs) this.post(j);
          this.armHead();
          return resolve();
        }
        if (m.t === 'error' && m.id === -1) return loadFailed(new FlowlogError(m.code as ErrorCodeName, m.message));
        const head = this.jobs[0];
        if (!head || head.id !== m.id) return;
        if (m.t === 'done') this.settleHead((j) => j.resolve({ statuses: m.statuses, output: m.output, input: m.input }));
        else this.settleHead((j) => j.reject(new FlowlogError(m.code as ErrorCodeName, m.message))); // the worker recreated its instance
      });
      const died = (why: string, cause?: Error) => {
        if (w !== this.worker) return;
        if (!this.loaded) return loadFailed(new FlowlogError('TRANSFORM_LOAD', `transform worker ${why} during load`, { cause }));
        this.kill();
        this.settleHead((j) => j.reject(new FlowlogError('TRANSFORM_TRAP', `transform worker ${why}`, { cause })));
        this.respawn();
      };
      w.on('error', (e) => died(`failed: ${e.message}`, e));
      w.on('exit', () => died('exited'));
    });
    this.ready.catch(() => undefined); // callers see it through their jobs or their own await
    w.postMessage({
      t: 'load',
      module: this.mod.module,
      source: this.mod.source,
      minPages: this.mod.minPages,
      config: this.opts.config,
      maxPages: this.opts.maxPages,
    } satisfies ToWorker);
    return this.ready;
  }

  /** Queues a batch on the worker. The bytes are copied before this returns (the encoder reuses its buffer). */
  run(b: EncodedBatch): Promise<BatchResult> {
    if (this.closed) return Promise.reject(new FlowlogError('TRANSFORM_LOAD', 'transform runner is closed'));
    const input = b.bytes.slice(b.offset, b.offset + b.length);
    return new Promise<BatchResult>((resolve, reject) => {
      const job: Job = { id: this.nextId++, input, count: b.count, resolve, reject, timer: null };
      this.jobs.push(job);
      if (this.loaded) {
        this.post(job);
        this.armHead();
      } else void this.start();
    });
  }

  /** Stops taking batches, lets the queued ones finish (each within its budget), then stops the worker. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.jobs.length) await new Promise<void>((r) => this.drained.push(r));
    this.kill();
  }

  // Cloned, not transferred: the job keeps its bytes so it can be posted again to a respawned worker.
  private post(j: Job): void {
    this.worker!.postMessage({ t: 'run', id: j.id, input: j.input, count: j.count } satisfies ToWorker);
  }

  /** The head of the queue is what the worker runs now: its budget starts. */
  private armHead(): void {
    const h = this.jobs[0];
    if (!h || h.timer || !this.loaded) return;
    h.timer = setTimeout(() => {
      if (this.jobs[0] !== h) return;
      this.kill();
      this.settleHead((j) =>
        j.reject(new FlowlogError('TRANSFORM_TIMEOUT', `module exceeded its time budget of ${this.opts.timeBudgetMs} ms on a ${j.count}-record batch; worker stopped`)),
      );
      this.respawn();
    }, this.opts.timeBudgetMs);
  }

  private settleHead(fn: (j: Job) => void): void {
    const h = this.jobs.shift();
    if (!h) return;
    this.answer(h, () => fn(h));
    this.armHead();
  }

  private answer(j: Job, fn: () => void): void {
    if (j.timer) clearTimeout(j.timer);
    fn();
    if (this.jobs.length === 0) for (const f of this.drained.splice(0)) f();
  }

  /** A new worker for the batches still queued (they are posted once it has loaded). */
  private respawn(): void {
    if (this.jobs.length) void this.start();
  }

  private kill(): void {
    const w = this.worker;
    this.worker = null;
    this.ready = null;
    this.loaded = false;
    if (w) void w.terminate();
  }
}
