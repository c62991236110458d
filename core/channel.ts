// A bounded channel between two stages. Backpressure is explicit: `send` returns a promise that
// resolves only when there is room (when_full: 'block'), so a producer that awaits it can never grow
// memory past the capacity. 'drop_newest' refuses the item instead and counts it: never silently.
import { FlowlogError } from './errors.js';

export type WhenFull = 'block' | 'drop_newest';

export interface ChannelOptions<T> {
  /** Capacity in weight units (items by default). */
  capacity: number;
  /** Weight of one item (e.g. the number of events in a batch); default 1. */
  weigh?: (item: T) => number;
  whenFull?: WhenFull;
  /** Called with the weight of each dropped item (when_full: drop_newest). */
  onDrop?: (item: T, weight: number) => void;
}

export class Channel<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private head = 0;
  private weight = 0;
  private closed = false;
  private readonly waitingSenders: (() => void)[] = [];
  private waitingReceiver: ((v: IteratorResult<T>) => void) | null = null;
  private readonly capacity: number;
  private readonly weigh: (item: T) => number;
  private readonly whenFull: WhenFull;
  private readonly onDrop?: (item: T, weight: number) => void;
  /** Items dropped because the channel was full (drop_newest). */
  dropped = 0;

  constructor(opts: ChannelOptions<T>) {
    if (!(opts.capacity > 0)) throw new FlowlogError('INTERNAL', 'channel capacity must be > 0');
    this.capacity = opts.capacity;
    this.weigh = opts.weigh ?? (() => 1);
    this.whenFull = opts.whenFull ?? 'block';
    this.onDrop = opts.onDrop;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  get usedWeight(): number {
    return this.weight;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Sends an item. Resolves true once it is queued; false when it was dropped (drop_newest, full).
   * An item heavier than the whole capacity is admitted when the channel is empty, so it cannot stall.
   * Rejects with FLOWLOG_CHANNEL_CLOSED after close(), or FLOWLOG_ABORTED when `signal` aborts.
   */
  async send(item: T, signal?: AbortSignal): Promise<boolean> {
    const w = this.weigh(item);
    while (true) {
      if (this.closed) throw new FlowlogError('CHANNEL_CLOSED', 'send on a closed channel');
      if (this.weight === 0 || this.weight + w <= this.capacity) break;
      if (this.whenFull === 'drop_newest') {
        this.dropped += w;
        this.onDrop?.(item, w);
        return false;
      }
      await this.waitForRoom(signal);
    }
    if (this.waitingReceiver) {
      const r = this.waitingReceiver;
      this.waitingReceiver = null;
      // handed straight to a waiting receiver; its weight is released at once
      r({ value: item, done: false });
      return true;
    }
    this.items.push(item);
    this.weight += w;
    return true;
  }

  private waitForRoom(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new FlowlogError('ABORTED', 'send aborted'));
      const onAbort = () => {
        const i = this.waitingSenders.indexOf(wake);
        if (i >= 0) this.waitingSenders.splice(i, 1);
        reject(new FlowlogError('ABORTED', 'send aborted'));
      };
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waitingSenders.push(wake);
    });
  }

  /** Next item, or undefined once the channel is closed and drained. */
  async recv(): Promise<T | undefined> {
    const r = await this.next();
    return r.done ? undefined : r.value;
  }

  /** The next queued item without taking it (undefined when none is queued). */
  peek(): T | undefined {
    return this.length > 0 ? this.items[this.head] : undefined;
  }

  /** Takes up to `max` queued items without waiting (may return an empty array). */
  drain(max = Infinity): T[] {
    const out: T[] = [];
    while (this.length > 0 && out.length < max) out.push(this.shift());
    return out;
  }

  private shift(): T {
    const item = this.items[this.head]!;
    this.items[this.head] = undefined as T;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    this.weight -= this.weigh(item);
    const wake = this.waitingSenders.shift();
    if (wake) wake();
    return item;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.length > 0) return Promise.resolve({ value: this.shift(), done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    if (this.waitingReceiver) throw new FlowlogError('INTERNAL', 'a channel has one receiver');
    // a sender blocked on a full channel with nothing queued cannot exist (weight 0 admits); wake one anyway
    const wake = this.waitingSenders.shift();
    if (wake) wake();
    return new Promise((resolve) => (this.waitingReceiver = resolve));
  }

  /** No more sends; receivers drain what is queued and then see the end. Blocked senders reject. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const wake of this.waitingSenders.splice(0)) wake();
    if (this.waitingReceiver && this.length === 0) {
      const r = this.waitingReceiver;
      this.waitingReceiver = null;
      r({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return { next: () => this.next() };
  }
}
