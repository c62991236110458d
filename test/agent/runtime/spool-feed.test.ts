// A sink's view of the spool (SpoolFeed in agent/runtime/sink-runner.ts) after a restart. The spool's
// batch ids keep counting across runs, so a feed that starts at 0 finds ids from the last run that
// are already acked. Regression: shut down right after such a restart, the Kafka sink's loop saw
// `finished === false` while wait() returned at once, and spun on resolved promises at 100% CPU,
// starving the shutdown deadline's timer (the agent never exited after SIGTERM).
import { afterEach, describe, expect, it } from 'vitest';
import { SpoolFeed } from '../../../agent/runtime/sink-runner.js';
import { openSpool, seqEntry, tempDir } from '../../spool/helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));
function dir(): string {
  const t = tempDir('flowlog-feed-');
  cleanups.push(t.cleanup);
  return t.dir;
}

/** Resolves with whether the event loop turned (a setImmediate callback ran) before `p` settled. */
async function loopTurnedDuring(start: () => Promise<unknown>): Promise<boolean> {
  let ran = false;
  const t = setImmediate(() => (ran = true));
  await start();
  clearImmediate(t);
  return ran;
}

async function runAndAckAll(d: string, consumers: string[], ackBy: string[]): Promise<void> {
  const { spool } = openSpool({ dir: d, consumers, batchMaxMs: 1 });
  await spool.append([seqEntry('a', 1, 10, 10, 'all')], []);
  await spool.append([seqEntry('a', 11, 20, 10, 'all')], []);
  for (const c of ackBy) spool.ack(c, spool.read(c, 10).map((b) => b.id));
  await spool.close();
}

describe('spool feed after a restart', () => {
  it('is finished at end of input when every batch of the last run was acked', async () => {
    const d = dir();
    await runAndAckAll(d, ['default'], ['default']);
    const { spool } = openSpool({ dir: d, consumers: ['default'] });
    expect(spool.lastBatchId).toBeGreaterThan(0); // ids from the last run
    const feed = new SpoolFeed(spool, 'default');
    expect(feed.read(1 << 20)).toEqual([]);
    feed.endOfInput();
    expect(feed.finished).toBe(true);
    await spool.close();
  });

  it('waits for new data instead of returning at once when another consumer still has unacked batches', async () => {
    const d = dir();
    await runAndAckAll(d, ['a', 'b'], ['a']);
    const { spool } = openSpool({ dir: d, consumers: ['a', 'b'] });
    const feedA = new SpoolFeed(spool, 'a');
    expect(feedA.read(1 << 20)).toEqual([]);
    const ac = new AbortController();
    expect(await loopTurnedDuring(() => feedA.wait(ac.signal, 20))).toBe(true);
    // consumer b still gets both batches of the last run
    const feedB = new SpoolFeed(spool, 'b');
    expect(feedB.read(1 << 20).map((b) => b.records)).toEqual([10, 10]);
    // and a new append wakes consumer a and is read by it
    const waiting = feedA.wait(ac.signal, 10_000);
    await spool.append([seqEntry('a', 21, 25, 10, 'all')], []);
    await waiting;
    expect(feedA.read(1 << 20).map((b) => b.records)).toEqual([5]);
    await spool.close();
  });

  it('lets the event loop turn while waiting at end of input', async () => {
    const d = dir();
    const { spool } = openSpool({ dir: d, consumers: ['default'] });
    await spool.append([seqEntry('a', 1, 3, 10, 'all')], []);
    const feed = new SpoolFeed(spool, 'default');
    feed.endOfInput();
    expect(feed.finished).toBe(false); // one batch not read yet
    expect(await loopTurnedDuring(() => feed.wait(new AbortController().signal, 1000))).toBe(true);
    expect(feed.read(1 << 20).map((b) => b.records)).toEqual([3]);
    expect(feed.finished).toBe(true);
    await spool.close();
  });
});
