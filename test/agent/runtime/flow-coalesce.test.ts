// A transform stage takes the batches already queued for it merged into one (up to a cap): fewer
// module calls and spool appends. Merging must keep the event order and settle every part's
// completion exactly as if the parts had arrived one by one (checkpoints in order, every ack called,
// fan-out joins still waiting for their other branch).
import { describe, expect, it } from 'vitest';
import { Channel } from '../../../core/channel.js';
import type { AckStatus, Checkpoint } from '../../../core/component.js';
import { newEvent } from '../../../core/event.js';
import { coalesce, settle, type Completion, type FlowBatch } from '../../../agent/runtime/flow.js';

const batch = (tag: string, n: number, completion?: Completion): FlowBatch => ({
  events: Array.from({ length: n }, (_, i) => newEvent(`${tag}-${i}`)),
  completion,
});
const cp = (key: string, value: string): Checkpoint => ({ source: 's', key, value });
const bodies = (b: FlowBatch) => b.events.map((e) => e.body);

function queue(...items: FlowBatch[]): Channel<FlowBatch> {
  const ch = new Channel<FlowBatch>({ capacity: 1 << 20, weigh: (b) => Math.max(1, b.events.length) });
  for (const b of items) void ch.send(b);
  return ch;
}

describe('coalesce', () => {
  it('merges what is queued, in order, up to the cap, and leaves the rest queued', () => {
    const ch = queue(batch('b', 2), batch('c', 3), batch('d', 4));
    const merged = coalesce(batch('a', 1), ch, 7);
    expect(bodies(merged)).toEqual(['a-0', 'b-0', 'b-1', 'c-0', 'c-1', 'c-2']);
    expect(ch.length).toBe(1);
    expect(bodies(ch.peek()!)).toEqual(['d-0', 'd-1', 'd-2', 'd-3']);
  });

  it('hands the batch on untouched when nothing fits or nothing is queued', () => {
    const first = batch('a', 3);
    expect(coalesce(first, queue(batch('b', 2)), 4)).toBe(first);
    expect(coalesce(first, queue(), 4)).toBe(first);
  });

  it('settles every merged completion as if they had come one by one', () => {
    const acks: string[] = [];
    const ack = (name: string) => (status: AckStatus) => acks.push(`${name}:${status}`);
    // batch 2 went to two branches (a fan-out join); its other branch has not reached the spool yet
    const join = { remaining: 2, then: { checkpoints: [cp('f2', '20')], ack: ack('two') } };
    const ch = queue(batch('b', 1, { join }), batch('c', 1, { checkpoints: [cp('f1', '30')], ack: ack('three') }));
    const merged = coalesce(batch('a', 1, { checkpoints: [cp('f1', '10')], ack: ack('one') }), ch, 10);
    const done = settle(merged.completion)!;
    expect(done.checkpoints).toEqual([cp('f1', '10'), cp('f1', '30')]); // batch 2's waits for its other branch
    done.ack!('delivered');
    expect(acks).toEqual(['one:delivered', 'three:delivered']);
    expect(join.remaining).toBe(1);
    // the other branch arrives: now batch 2 commits
    expect(settle({ join })).toEqual(join.then);
  });

  it('a merge of parts that all still wait settles to nothing', () => {
    const j1 = { remaining: 2, then: { checkpoints: [cp('f', '1')] } };
    const j2 = { remaining: 2, then: { checkpoints: [cp('f', '2')] } };
    const merged = coalesce(batch('a', 1, { join: j1 }), queue(batch('b', 1, { join: j2 })), 10);
    expect(settle(merged.completion)).toBeNull();
    expect(settle({ join: j1 })).toEqual(j1.then);
    expect(settle({ join: j2 })).toEqual(j2.then);
  });
});
