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

export type Completion = Done | { join: Join };

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
    if (!('join' in cur)) return cur;
    if (--cur.join.remaining > 0) return null;
    cur = cur.join.then;
  }
  return null;
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
