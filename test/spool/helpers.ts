// Shared helpers for the spool tests: temp dirs, sequence-numbered NDJSON entries, record parsing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { memoryLogger } from '../../core/telemetry/logger.js';
import { Metrics } from '../../core/telemetry/metrics.js';
import { Spool } from '../../spool/spool.js';
import type { SpoolBatch, SpoolEntry, SpoolOptions } from '../../spool/types.js';
import type { FsyncFn } from '../../spool/wal-sync.js';

export function tempDir(prefix = 'flowlog-spool-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A `dir()` that makes a temp dir removed after the current test (call at module level). */
export function tempDirsPerTest(prefix?: string): () => string {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((f) => f()));
  return () => {
    const t = tempDir(prefix);
    cleanups.push(t.cleanup);
    return t.dir;
  };
}

export function openSpool(opts: SpoolOptions, extra: { knownSources?: string[]; fsync?: FsyncFn } = {}) {
  const log = memoryLogger();
  const metrics = new Metrics();
  const spool = Spool.open(opts, { log, metrics, ...extra });
  return { spool, log, metrics };
}

/** One entry holding records `{"src":..,"seq":n,"pad":..}\n` for seq in [from, to]. */
export function seqEntry(src: string, from: number, to: number, pad = 150, group = 'g'): SpoolEntry {
  let s = '';
  const p = 'x'.repeat(pad);
  for (let i = from; i <= to; i++) s += `{"src":"${src}","seq":${i},"pad":"${p}"}\n`;
  return { group, payload: Buffer.from(s), count: to - from + 1 };
}

export interface Rec {
  src: string;
  seq: number;
}

export function recordsOf(batches: SpoolBatch[]): Rec[] {
  const out: Rec[] = [];
  for (const b of batches) {
    for (const e of b.entries) {
      const lines = e.payload.toString('utf8').split('\n');
      lines.pop();
      if (lines.length !== e.count) throw new Error(`entry count ${e.count} != ${lines.length} lines`);
      for (const l of lines) {
        const r = JSON.parse(l) as Rec;
        out.push({ src: r.src, seq: r.seq });
      }
    }
  }
  return out;
}

/** Every batch of a consumer, reading in pages. */
export function readAll(spool: Spool, consumer = 'default'): SpoolBatch[] {
  const out: SpoolBatch[] = [];
  let after = 0;
  for (;;) {
    const page = spool.read(consumer, 100, after);
    if (!page.length) return out;
    out.push(...page);
    after = page[page.length - 1]!.id;
  }
}
