// The aggregator process: Kafka sources → router (routes) → sinks, with acknowledgements flowing back
// to the sources' offset commits. Every stage is connected by a bounded channel; the source also
// pauses partitions when the bytes not yet acknowledged pass its budget.
//
// Shutdown (signal): the sources stop fetching; once they are quiet the router drains, the sinks'
// inputs close, they flush and acknowledge, the sources commit what was acknowledged and leave the group.
import { Channel } from '../core/channel.js';
import type { ComponentContext, Sink } from '../core/component.js';
import { encodeEvent } from '../core/codec.js';
import type { LoadedConfig } from '../core/config/load.js';
import { FlowlogError, describeError } from '../core/errors.js';
import type { Logger } from '../core/telemetry/logger.js';
import type { Metrics } from '../core/telemetry/metrics.js';
import { Router, sinkMatchers, type RejectedRecord, type SinkPort } from './router.js';
import type { RoutesConfig } from './routes/config.js';
import { KafkaSource } from './sources/kafka/consumer.js';
import type { AggBatch } from './types.js';

export interface RuntimeOptions {
  signal: AbortSignal;
  log: Logger;
  metrics: Metrics;
}

export async function runAggregator(cfg: LoadedConfig, opts: RuntimeOptions): Promise<void> {
  const { log, metrics } = opts;
  const routes = cfg.sections.routes as RoutesConfig | undefined;
  const env = { configDir: cfg.dir, dataDir: cfg.dataDir };
  const transforms = cfg.components.filter((c) => c.kind === 'transform');
  if (transforms.length) throw new FlowlogError('CONFIG_INVALID', `${cfg.file}: the aggregator runs no transforms yet (found ${transforms[0]!.name}); route with the top-level routes: section`);
  const sinkCfgs = cfg.components.filter((c) => c.kind === 'sink');
  const sourceCfgs = cfg.components.filter((c) => c.kind === 'source');
  if (sourceCfgs.length === 0 || sinkCfgs.length === 0) throw new FlowlogError('CONFIG_INVALID', `${cfg.file}: the aggregator needs at least one kafka source and one sink`);
  for (const [name, r] of Object.entries(routes ?? {})) {
    for (const s of r.sinks) {
      if (!sinkCfgs.some((c) => c.name === s)) throw new FlowlogError('CONFIG_INVALID', `${cfg.file}: routes.${name}.sinks names "${s}", which is not a sink; known: ${sinkCfgs.map((c) => c.name).join(', ')}`);
    }
  }
  const ctxFor = (name: string, signal: AbortSignal): ComponentContext => ({ name, signal, log: log.child({ component: name }), metrics, dataDir: cfg.dataDir });

  const sinkAbort = new AbortController();
  const sinkChannels = new Map<string, Channel<AggBatch>>();
  const rawSinks = new Set<string>();
  const sinkRuns: Promise<void>[] = [];
  for (const c of sinkCfgs) {
    const sink = c.def.build(c.options, env) as Sink & { acceptsRaw?: boolean };
    if (sink.acceptsRaw === true) rawSinks.add(c.name);
    const ch = new Channel<AggBatch>({ capacity: 64 });
    sinkChannels.set(c.name, ch);
    sinkRuns.push(
      sink.run({ ...ctxFor(c.name, sinkAbort.signal), input: ch }).catch((e) => {
        log.error('sink failed', { component: c.name, error: describeError(e) });
        throw e;
      }),
    );
  }
  const matchers = sinkMatchers(routes, sinkCfgs.map((c) => c.name));
  const routed = (sink: string, n: number) => metrics.counter('flowlog_routed_events_total', 'Events handed to a sink by the router', { sink }).inc(n);
  const unrouted = metrics.counter('flowlog_unrouted_events_total', 'Events no route sent anywhere');

  const sourceAbort = new AbortController();
  const runs: { source: KafkaSource; run: Promise<void>; loop: Promise<void>; out: Channel<AggBatch> }[] = [];
  for (const c of sourceCfgs) {
    const source = c.def.build(c.options, env);
    if (!(source instanceof KafkaSource)) throw new FlowlogError('CONFIG_INVALID', `${cfg.file}: source ${c.name}: the aggregator reads only kafka sources`);
    const ports: SinkPort[] = sinkCfgs
      .filter((s) => s.inputs.includes(c.name))
      .map((s) => ({ name: s.name, acceptsRaw: rawSinks.has(s.name), send: (b: AggBatch) => sinkChannels.get(s.name)!.send(b) }));
    const onRejected = async (records: RejectedRecord[]) => {
      const dlq = source.deadLetter();
      await dlq?.send(
        records.map((r) => ({ value: encodeEvent(r.event), reason: r.reason, sink: r.sink, topic: r.topic, partition: r.partition, offset: r.offset })),
        sourceAbort.signal,
      );
    };
    const router = new Router(ports, matchers, onRejected, { routed, unrouted: (n) => unrouted.inc(n) });
    const out = new Channel<AggBatch>({ capacity: 8 });
    const run = source.run({ ...ctxFor(c.name, sourceAbort.signal), out, checkpoints: new Map() });
    const loop = (async () => {
      for await (const b of out) await router.route(b);
    })();
    runs.push({ source, run, loop, out });
    run.catch((e) => log.error('source failed', { component: c.name, error: describeError(e) }));
  }
  log.info('aggregator running', { sources: sourceCfgs.map((c) => c.name), sinks: sinkCfgs.map((c) => c.name), routes: Object.keys(routes ?? {}) });

  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) return resolve();
    opts.signal.addEventListener('abort', () => resolve(), { once: true });
    // a failed source or sink stops the process (the supervisor restarts it; nothing acknowledged is lost)
    for (const r of runs) r.run.catch(() => resolve());
    for (const s of sinkRuns) s.catch(() => resolve());
  });
  log.info('aggregator stopping: draining sinks');
  sourceAbort.abort();
  await Promise.all(runs.map((r) => Promise.race([r.source.quiesced, r.run.catch(() => {})])));
  // closing the source → router channels ends the router loops once they are drained
  for (const r of runs) r.out.close();
  await Promise.all(runs.map((r) => r.loop));
  for (const ch of sinkChannels.values()) ch.close();
  const sinkResults = await Promise.allSettled(sinkRuns);
  await Promise.allSettled(runs.map((r) => r.run));
  sinkAbort.abort();
  const failed = sinkResults.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}
