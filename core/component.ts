// The one contract every component implements (docs/ARCHITECTURE.md, "Component contract").
//
// - A source gets a SourceContext: an abort signal, a bounded output it must `await` (a full channel
//   blocks the source: backpressure, not memory growth), the checkpoints that were last made durable
//   for it, and per-batch acknowledgement hooks.
// - A transform maps a batch of events to a batch of events (same order; it may drop or edit).
// - A sink gets a SinkContext whose input yields batches; it must call `ack` on each batch once the
//   batch is durable downstream (or failed for good), which is what moves checkpoints and offsets.
import type { z } from 'zod';
import type { LogEvent } from './event.js';
import type { Logger } from './telemetry/logger.js';
import type { Metrics } from './telemetry/metrics.js';

/** A source's position, made durable in the same transaction as the events that precede it. */
export interface Checkpoint {
  /** Component name of the source. */
  source: string;
  /** What the position is of: a file identity, "journal", a partition... */
  key: string;
  /** The position, serialized by the source (offset, cursor, JSON). */
  value: string;
}

export type AckStatus = 'delivered' | 'rejected' | 'dropped';

/** Called exactly once per batch: delivered (durable downstream), rejected (failed for good, with the error) or dropped (by policy, counted). */
export type BatchAck = (status: AckStatus, error?: Error) => void;

export interface EventBatch {
  events: LogEvent[];
  /** Positions that become durable together with these events (may come with zero events). */
  checkpoints?: Checkpoint[];
  /** Acknowledgement hook: the HTTP source answers its client from here, for instance. */
  ack?: BatchAck;
}

/** The bounded output of a stage: `send` resolves when the batch is queued (blocks when full). */
export interface Output<T> {
  send(item: T, signal?: AbortSignal): Promise<boolean>;
}

export interface ComponentContext {
  /** The component's name in the config. */
  name: string;
  /** Aborted on shutdown or reload: stop reading, flush, return. */
  signal: AbortSignal;
  log: Logger;
  metrics: Metrics;
  /** The process's data directory (state belongs below `${dataDir}/${name}`). */
  dataDir: string;
}

export interface SourceContext extends ComponentContext {
  out: Output<EventBatch>;
  /** Last durable checkpoint values of this source, by key. */
  checkpoints: ReadonlyMap<string, string>;
}

export interface Source {
  /** Runs until ctx.signal aborts (then flushes and returns) or the input ends. */
  run(ctx: SourceContext): Promise<void>;
}

export interface Transform {
  /** Maps events in order; may drop or edit them. Must not keep references to the input array. */
  process(events: LogEvent[]): LogEvent[] | Promise<LogEvent[]>;
  /** How many process() calls the stage may have outstanding (default 1); their results are taken in call order. */
  readonly concurrency?: number;
  close?(): Promise<void> | void;
}

export interface SinkContext extends ComponentContext {
  input: AsyncIterable<EventBatch>;
}

export interface Sink {
  /** Consumes ctx.input until it ends; acks every batch. */
  run(ctx: SinkContext): Promise<void>;
  /** Whether the sink can currently deliver (for /health). */
  healthy?(): boolean;
}

export type ComponentKind = 'source' | 'transform' | 'sink';

export interface BuildEnv {
  /** Directory of the config file, for resolving relative paths. */
  configDir: string;
  dataDir: string;
}

export interface ComponentDef<K extends ComponentKind = ComponentKind, C = unknown> {
  kind: K;
  type: string;
  /** Which processes may run it. */
  roles: readonly ('agent' | 'aggregator')[];
  description: string;
  /** The component's options, without `type` and `inputs` (added by the config loader). Unknown keys are rejected. */
  schema: z.ZodType<C>;
  build(config: C, env: BuildEnv): K extends 'source' ? Source : K extends 'transform' ? Transform : Sink;
}
