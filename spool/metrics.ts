// The spool's Prometheus series. Depth, disk and age gauges are refreshed on collection (and after
// every commit/ack); counters move as records are appended, acked and dropped.
import type { Logger } from '../core/telemetry/logger.js';
import type { Counter, Gauge, Histogram, Metrics } from '../core/telemetry/metrics.js';

export const METRIC = {
  depthBatches: 'flowlog_spool_depth_batches',
  depthRecords: 'flowlog_spool_depth_records',
  depthBytes: 'flowlog_spool_depth_bytes',
  storedBytes: 'flowlog_spool_stored_bytes',
  diskBytes: 'flowlog_spool_disk_bytes',
  oldestAge: 'flowlog_spool_oldest_unsent_age_seconds',
  appendedRecords: 'flowlog_spool_appended_records_total',
  appendedBytes: 'flowlog_spool_appended_bytes_total',
  appendedBatches: 'flowlog_spool_appended_batches_total',
  ackedRecords: 'flowlog_spool_acked_records_total',
  ackedBytes: 'flowlog_spool_acked_bytes_total',
  droppedBatches: 'flowlog_spool_dropped_batches_total',
  droppedRecords: 'flowlog_spool_dropped_records_total',
  corruptBatches: 'flowlog_spool_corrupt_batches_total',
  appendErrors: 'flowlog_spool_append_errors_total',
  commitSeconds: 'flowlog_spool_commit_seconds',
  fsyncSeconds: 'flowlog_spool_fsync_seconds',
  blockedSeconds: 'flowlog_spool_full_blocked_seconds_total',
  checkpointAge: 'flowlog_spool_checkpoint_age_seconds',
  quarantined: 'flowlog_spool_quarantined_total',
} as const;

export interface SpoolGaugeSource {
  refreshGauges(): void;
}

const collectors = new WeakMap<Metrics, Set<SpoolGaugeSource>>();

export class SpoolMetrics {
  readonly depthBatches: Gauge;
  readonly depthRecords: Gauge;
  readonly depthBytes: Gauge;
  readonly storedBytes: Gauge;
  readonly diskBytes: Gauge;
  readonly oldestAge: Gauge;
  readonly appendedRecords: Counter;
  readonly appendedBytes: Counter;
  readonly appendedBatches: Counter;
  readonly ackedRecords: Counter;
  readonly ackedBytes: Counter;
  readonly droppedBatches: Counter;
  readonly droppedRecords: Counter;
  readonly corruptBatches: Counter;
  readonly blockedSeconds: Counter;
  readonly commitSeconds: Histogram;
  readonly fsyncSeconds: Histogram;
  readonly quarantined: Counter;
  private readonly labels: { spool: string };

  constructor(
    private readonly m: Metrics,
    spool: string,
  ) {
    const l = (this.labels = { spool });
    this.depthBatches = m.gauge(METRIC.depthBatches, 'Batches waiting in the spool (not yet acked by every consumer)', l);
    this.depthRecords = m.gauge(METRIC.depthRecords, 'Records waiting in the spool', l);
    this.depthBytes = m.gauge(METRIC.depthBytes, 'Uncompressed payload bytes waiting in the spool', l);
    this.storedBytes = m.gauge(METRIC.storedBytes, 'Compressed batch bytes stored (what max_bytes caps)', l);
    this.diskBytes = m.gauge(METRIC.diskBytes, 'Bytes on disk: database file plus WAL', l);
    this.oldestAge = m.gauge(METRIC.oldestAge, 'Age of the oldest unsent batch in seconds (0 when empty)', l);
    this.appendedRecords = m.counter(METRIC.appendedRecords, 'Records committed to the spool', l);
    this.appendedBytes = m.counter(METRIC.appendedBytes, 'Uncompressed bytes committed to the spool', l);
    this.appendedBatches = m.counter(METRIC.appendedBatches, 'Batches committed to the spool', l);
    this.ackedRecords = m.counter(METRIC.ackedRecords, 'Records removed after every consumer acked them', l);
    this.ackedBytes = m.counter(METRIC.ackedBytes, 'Uncompressed bytes removed after every consumer acked them', l);
    this.droppedBatches = m.counter(METRIC.droppedBatches, 'Unsent batches deleted by when_full: drop_oldest', l);
    this.droppedRecords = m.counter(METRIC.droppedRecords, 'Unsent records deleted by when_full: drop_oldest', l);
    this.corruptBatches = m.counter(METRIC.corruptBatches, 'Stored batches that failed their checksum and were removed', l);
    this.blockedSeconds = m.counter(METRIC.blockedSeconds, 'Seconds appends waited because the spool was full (when_full: block)', l);
    this.commitSeconds = m.histogram(METRIC.commitSeconds, 'Duration of one spool commit (insert + checkpoints; the WAL fsync is timed apart)', l);
    this.fsyncSeconds = m.histogram(METRIC.fsyncSeconds, 'Duration of one WAL fsync on the libuv pool (sync: full; covers every commit since the previous one)', l);
    this.quarantined = m.counter(METRIC.quarantined, 'Spool files moved aside at open because they were corrupt', l);
  }

  setDepth(d: { batches: number; records: number; bytes: number; stored: number }): void {
    this.depthBatches.set(d.batches);
    this.depthRecords.set(d.records);
    this.depthBytes.set(d.bytes);
    this.storedBytes.set(d.stored);
  }

  /** Counts and logs batches deleted by when_full: drop_oldest. */
  dropped(d: { batches: number; records: number; bytes: number }, log: Logger): void {
    this.droppedBatches.inc(d.batches);
    this.droppedRecords.inc(d.records);
    log.warn('spool full: dropped the oldest unsent batches (when_full: drop_oldest)', { dropped_batches: d.batches, dropped_records: d.records, dropped_bytes: d.bytes });
  }

  appendError(code: string): void {
    this.m.counter(METRIC.appendErrors, 'Appends refused or failed, by error code', { ...this.labels, code }).inc();
  }

  checkpointAge(source: string): Gauge {
    return this.m.gauge(METRIC.checkpointAge, 'Seconds since the source last made a checkpoint durable in the spool', { ...this.labels, source });
  }

  /** Refreshes this spool's computed gauges whenever the registry is rendered. */
  attach(src: SpoolGaugeSource): void {
    let set = collectors.get(this.m);
    if (!set) {
      const s = new Set<SpoolGaugeSource>();
      collectors.set(this.m, (set = s));
      // render() collects family by family: refresh before the first computed family (disk bytes);
      // checkpoint ages are also refreshed by the maintenance timer.
      const refresh = () => s.forEach((x) => x.refreshGauges());
      this.m.onCollect(METRIC.diskBytes, refresh);
      this.m.onCollect(METRIC.oldestAge, refresh);
    }
    set.add(src);
  }

  detach(src: SpoolGaugeSource): void {
    collectors.get(this.m)?.delete(src);
  }
}
