// Runs a source against a real bounded Channel (core/channel.ts) and collects what it emits, keeping
// the latest checkpoint per key the way the spool would commit them with the events.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventBatch, Source } from '../../../core/component.js';
import { Channel } from '../../../core/channel.js';
import type { LogEvent } from '../../../core/event.js';
import { memoryLogger } from '../../../core/telemetry/logger.js';
import { Metrics } from '../../../core/telemetry/metrics.js';

export interface Running {
  events: LogEvent[];
  checkpoints: Map<string, string>;
  metrics: Metrics;
  log: ReturnType<typeof memoryLogger>;
  /** Aborts the source and waits for run() to return. */
  stop(): Promise<void>;
  done: Promise<void>;
}

export function tempDir(prefix = 'flowlog-src-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function runSource(source: Source, opts: { name?: string; checkpoints?: Map<string, string>; drain?: boolean; capacity?: number } = {}): Running {
  const ac = new AbortController();
  const ch = new Channel<EventBatch>({ capacity: opts.capacity ?? 64 });
  const metrics = new Metrics();
  const log = memoryLogger();
  const events: LogEvent[] = [];
  const checkpoints = new Map(opts.checkpoints ?? []);
  const done = source.run({
    name: opts.name ?? 'src',
    signal: ac.signal,
    log,
    metrics,
    dataDir: tmpdir(),
    out: ch,
    checkpoints: new Map(opts.checkpoints ?? []),
  });
  if (opts.drain !== false) {
    void (async () => {
      for await (const b of ch) {
        // events and checkpoints of a batch are committed together
        events.push(...b.events);
        for (const c of b.checkpoints ?? []) checkpoints.set(c.key, c.value);
      }
    })();
  }
  return {
    events,
    checkpoints,
    metrics,
    log,
    done,
    async stop() {
      ac.abort();
      await done;
      ch.close();
    },
  };
}

/** Polls `cond` every 20 ms until it holds (throws after `ms`). */
export async function until(cond: () => boolean, ms = 30_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Sequence numbers found in event bodies ("seq=N"). */
export function seqs(events: LogEvent[]): number[] {
  const out: number[] = [];
  for (const e of events) {
    const m = /seq=(\d+)/.exec(e.body);
    if (m) out.push(Number(m[1]));
  }
  return out;
}
