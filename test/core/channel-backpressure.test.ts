import { describe, expect, it } from 'vitest';
import { Channel } from '../../core/channel.js';
import { isFlowlogError } from '../../core/errors.js';

describe('Channel backpressure', () => {
  it('blocks a sender while full and resumes it when the receiver takes an item', async () => {
    const ch = new Channel<number>({ capacity: 2 });
    await ch.send(1);
    await ch.send(2);
    let third = false;
    const p = ch.send(3).then(() => (third = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(third).toBe(false);
    expect(ch.length).toBe(2);
    expect(await ch.recv()).toBe(1);
    await p;
    expect(third).toBe(true);
    expect(ch.drain()).toEqual([2, 3]);
  });

  it('never holds more weight than its capacity while a fast producer runs ahead', async () => {
    const ch = new Channel<number[]>({ capacity: 100, weigh: (b) => b.length });
    let maxWeight = 0;
    const producer = (async () => {
      for (let i = 0; i < 200; i++) {
        await ch.send(new Array(10).fill(i));
        maxWeight = Math.max(maxWeight, ch.usedWeight);
      }
      ch.close();
    })();
    const got: number[] = [];
    for await (const b of ch) {
      got.push(b[0]!);
      if (got.length % 7 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await producer;
    expect(maxWeight).toBeLessThanOrEqual(100);
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('drop_newest refuses and counts exactly instead of blocking', async () => {
    const dropped: number[] = [];
    const ch = new Channel<number>({ capacity: 3, whenFull: 'drop_newest', onDrop: (n) => dropped.push(n) });
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await ch.send(i));
    expect(results.filter((r) => r)).toHaveLength(3);
    expect(ch.dropped).toBe(7);
    expect(dropped).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(ch.drain()).toEqual([0, 1, 2]);
  });

  it('rejects blocked senders on close and ends receivers after draining', async () => {
    const ch = new Channel<number>({ capacity: 1 });
    await ch.send(1);
    const blocked = ch.send(2);
    ch.close();
    await expect(blocked).rejects.toSatisfy((e: unknown) => isFlowlogError(e, 'CHANNEL_CLOSED'));
    expect(await ch.recv()).toBe(1);
    expect(await ch.recv()).toBeUndefined();
  });

  it('an abort signal releases a blocked sender', async () => {
    const ch = new Channel<number>({ capacity: 1 });
    await ch.send(1);
    const ac = new AbortController();
    const blocked = ch.send(2, ac.signal);
    ac.abort();
    await expect(blocked).rejects.toSatisfy((e: unknown) => isFlowlogError(e, 'ABORTED'));
    expect(ch.length).toBe(1);
  });
});
