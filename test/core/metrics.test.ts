import { describe, expect, it } from 'vitest';
import { Metrics } from '../../core/telemetry/metrics.js';
import { memoryLogger } from '../../core/telemetry/logger.js';

describe('Prometheus metrics', () => {
  it('renders counters, gauges and histograms in the text format', () => {
    const m = new Metrics({ host: 'n1' });
    m.counter('flowlog_source_events_total', 'Events read', { component: 'logs' }).inc(3);
    m.gauge('flowlog_spool_bytes', 'Spool bytes').set(42);
    const h = m.histogram('flowlog_commit_seconds', 'Commit time', {}, [0.01, 0.1]);
    h.observe(0.005);
    h.observe(0.05);
    const text = m.render();
    expect(text).toContain('# TYPE flowlog_source_events_total counter');
    expect(text).toContain('flowlog_source_events_total{host="n1",component="logs"} 3');
    expect(text).toContain('flowlog_spool_bytes{host="n1"} 42');
    expect(text).toContain('flowlog_commit_seconds_bucket{host="n1",le="0.01"} 1');
    expect(text).toContain('flowlog_commit_seconds_bucket{host="n1",le="+Inf"} 2');
    expect(text).toContain('flowlog_commit_seconds_count{host="n1"} 2');
  });

  it('escapes label values and refuses bad names', () => {
    const m = new Metrics();
    m.counter('x_total', 'h', { path: 'a"b\\c' }).inc();
    expect(m.render()).toContain('x_total{path="a\\"b\\\\c"} 1');
    expect(() => m.counter('bad-name', 'h')).toThrow(/invalid metric name/);
  });
});

describe('logger', () => {
  it('redacts secret-looking fields and logs once per key', () => {
    const log = memoryLogger();
    log.info('connecting', { password: 'hunter2', sasl_username: 'u', broker: 'b:9092' });
    log.once('f1', 'warn', 'bad file');
    log.once('f1', 'warn', 'bad file');
    expect(log.records).toHaveLength(2);
    expect(log.records[0]).toMatchObject({ password: '[redacted]', sasl_username: '[redacted]', broker: 'b:9092' });
    expect(JSON.stringify(log.records)).not.toContain('hunter2');
  });
});
