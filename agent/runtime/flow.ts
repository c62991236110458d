// What travels between the agent's stages: events plus a completion token. A source batch's
// checkpoints and ack ride along; when a stage fans out to several branches, a Join makes the
// checkpoints commit (and the ack fire) only with the last branch's append. Each branch is FIFO and
// the spool commits appends in order, so by then every copy of this and every earlier batch is in.
import type { BatchAck, Checkpoint } from '../../core/component.js';
import { cloneEvent, type LogEvent } from '../../core/event.js';

export interface Done {
  checkpoints: Checkpoint[];
  ack?: BatchAck;
}

export interface Join {
  remaining: number;
  then: Completion;
}

/** Several batches merged into one (coalesce): each part settles on its own, in order. */
export interface All {
  all: Completion[];
}

export type Completion = Done | { join: Join } | All;

export interface FlowBatch {
  events: LogEvent[];
  completion?: Completion;
}

/** Where a stage sends its output; resolves when the batch is queued (awaited: backpressure). */
export type Target = (b: FlowBatch, signal?: AbortSignal) => Promise<void>;

/** Called where a branch ends (the spool writer): the Done to commit now, or null when branches remain. */
export function settle(c: Completion | undefined): Done | null {
  let cur = c;
  while (cur) {
    if ('all' in cur) return mergeDone(cur.all.map(settle));
    if (!('join' in cur)) return cur;
    if (--cur.join.remaining > 0) return null;
    cur = cur.join.then;
  }
  return null;
}

/** The Dones of merged batches as one: checkpoints in order (a later one of the same key wins), every ack called. */
function mergeDone(parts: (Done | null)[]): Done | null {
  const done = parts.filter((d): d is Done => d !== null);
  if (done.length <= 1) return done[0] ?? null;
  const acks = done.map((d) => d.ack).filter((a): a is BatchAck => a !== undefined);
  return {
    checkpoints: done.flatMap((d) => d.checkpoints),
    ack: acks.length ? (status, e) => acks.forEach((a) => a(status, e)) : undefined,
  };
}

/**
 * Batches already queued behind `first`, merged into it while the total stays within `maxEvents`
 * (never waits for more: merging only what is queued adds no latency). Fewer, larger batches cost
 * less per event in every stage (a transform module call, its time-budget guard, a spool append).
 */
export function coalesce(first: FlowBatch, queued: { peek(): FlowBatch | undefined; drain(max: number): FlowBatch[] }, maxEvents: number): FlowBatch {
  let next = queued.peek();
  if (!next || first.events.length + next.events.length > maxEvents) return first;
  const events = first.events.slice();
  const completions: Completion[] = first.completion ? [first.completion] : [];
  while (next && events.length + next.events.length <= maxEvents) {
    queued.drain(1);
    for (const e of next.events) events.push(e);
    if (next.completion) completions.push(next.completion);
    next = queued.peek();
  }
  return { events, completion: completions.length === 0 ? undefined : completions.length === 1 ? completions[0] : { all: completions } };
}

/** One target, or a fan-out that gives each branch its own copy of the events (transforms may edit them). */
export function fanOut(targets: Target[]): Target {
  if (targets.length === 1) return targets[0]!;
  return async (b, signal) => {
    const join: Join | undefined = b.completion ? { remaining: targets.length, then: b.completion } : undefined;
    // copy before sending: the first branch may edit its events as soon as it has them
    const copies = targets.map((_, i) => (i === 0 ? b.events : b.events.map(cloneEvent)));
    for (let i = 0; i < targets.length; i++) await targets[i]!({ events: copies[i]!, completion: join ? { join } : undefined }, signal);
  };
}
