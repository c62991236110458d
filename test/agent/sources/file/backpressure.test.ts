// A stalled output stops the reader: with a channel that is never drained, the source reads only
// what fits in the channel plus the batch it is blocked on and the chunk it is decoding, however
// large the file is; once the output drains, everything arrives.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Channel } from '../../../../core/channel.js';
import type { EventBatch } from '../../../../core/component.js';
import { memoryLogger } from '../../../../core/telemetry/logger.js';
import { Metrics } from '../../../../core/telemetry/metrics.js';
import { fileConfig } from '../../../../agent/sources/file/config.js';
import { FileSource } from '../../../../agent/sources/file/source.js';
import { seqs, tempDir, until } from '../harness.js';

describe('file source backpressure', () => {
  it('a never-draining output stops reading with bounded memory; draining resumes it without loss', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'big.log');
      const total = 300_000; // ~30 MB
      const parts: string[] = [];
      for (let i = 0; i < total; i++) parts.push(`seq=${i} ${'z'.repeat(80)}\n`);
      writeFileSync(path, parts.join(''));
      const ch = new Channel<EventBatch>({ capacity: 4 });
      const metrics = new Metrics();
      const ac = new AbortController();
      const cfg = fileConfig.parse({ include: [path], batch_size: 1000, read_chunk_bytes: 1024 * 1024 });
      const done = new FileSource(cfg).run({ name: 'src', signal: ac.signal, log: memoryLogger(), metrics, dataDir: dir, out: ch, checkpoints: new Map() });
      const bytes = () => metrics.valueOf('flowlog_source_bytes_total', { component: 'src' }) ?? 0;
      await until(() => ch.length === 4, 30_000, 'channel full');
      // wait until reading stops: several polls with no change
      let last = -1;
      let stable = 0;
      await until(() => {
        const b = bytes();
        stable = b === last ? stable + 1 : 0;
        last = b;
        return stable >= 20;
      }, 30_000, 'reader stopped');
      // 4 queued batches + 1 blocked batch of 1000 ~90-byte lines, plus the 1 MiB chunk being decoded
      // (and read-ahead of at most one more chunk size): far below the 30 MB file
      expect(bytes()).toBeLessThanOrEqual(4 * 1024 * 1024);
      expect(bytes()).toBeGreaterThan(0);
      expect(ch.usedWeight).toBe(4);
      // drain everything; nothing was lost while blocked
      const got: number[] = [];
      const drain = (async () => {
        for await (const b of ch) got.push(...seqs(b.events));
      })();
      await until(() => got.length === total, 60_000, 'all lines');
      ac.abort();
      await done;
      ch.close();
      await drain;
      expect(got.every((v, i) => v === i)).toBe(true);
    } finally {
      cleanup();
    }
  });
});
