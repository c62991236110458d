// A Vector DaemonSet config in TOML (fixtures/k8s-to-kafka.toml, written from Vector's documented
// options) → the exact flowlog config, and every piece that could not be translated reported at its line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importVector } from '../../../cli/import/vector/index.js';

const file = join(import.meta.dirname, 'fixtures', 'k8s-to-kafka.toml');
const { config, report } = importVector(readFileSync(file, 'utf8'), 'k8s-to-kafka.toml');
const items = (kind: string) => report.items.filter((i) => i.kind === kind).map((i) => `${i.where} ${i.path}`);

describe('import vector: kubernetes_logs → filter/sample → kafka (TOML)', () => {
  it('translates to the exact flowlog structure', () => {
    expect(config).toEqual({
      data_dir: '/var/lib/vector',
      api: { enabled: true, address: '127.0.0.1:8686' },
      spool: { max_bytes: 536870912, when_full: 'block' },
      sources: {
        k8s: {
          type: 'kubernetes_logs',
          exclude_namespaces: ['kube-system', 'kube-public'],
          max_line_bytes: 65536,
          read_from: 'end',
          api: { node_name: '${VECTOR_SELF_NODE_NAME}' },
        },
      },
      transforms: {
        drop_system: {
          type: 'filter',
          inputs: ['k8s'],
          condition: {
            all: [{ not: { attribute: 'k8s.namespace.name', equals: 'monitoring' } }, { not: { attribute: 'k8s.pod.name', prefix: 'debug-' } }],
          },
        },
        // the remap "parse" (merge parse_json, then one assignment) became a chain; the last keeps the name
        'parse.1': { type: 'parse_json', inputs: ['drop_system'] },
        parse: { type: 'set', inputs: ['parse.1'], fields: { env: 'prod' } },
        errors_only: {
          type: 'filter',
          inputs: ['parse'],
          condition: {
            any: [{ all: [{ severity_at_least: 'error' }, { not: { severity_at_least: 'fatal' } }] }, { attribute: 'level', equals: 'error' }, { body_contains: 'panic' }],
          },
        },
        thin: { type: 'sample', inputs: ['parse'], rate: 10, key_field: 'k8s.pod.name' },
        // the route became one filter per consumed lane, named like Vector's lane outputs
        'lanes.audit': { type: 'filter', inputs: ['parse'], condition: { attribute: 'k8s.container.name', equals: 'audit' } },
        'lanes._unmatched': { type: 'filter', inputs: ['parse'], condition: { not: { attribute: 'k8s.container.name', equals: 'audit' } } },
        // the remap "enrich" (an if statement) was left out: its consumer reads k8s
      },
      sinks: {
        kafka_all: {
          type: 'kafka',
          inputs: ['thin', 'errors_only'],
          bootstrap_servers: 'kafka-0.kafka:9092,kafka-1.kafka:9092',
          topic: 'logs.{{ k8s.namespace.name }}',
          default_topic: 'logs.unknown',
          key_field: 'k8s.pod.name',
          request_timeout_ms: 300000,
          sasl: { mechanism: 'scram-sha-512', username: 'vector', password: '${KAFKA_PASSWORD}' },
          tls: { enabled: true, ca_file: '/etc/kafka/ca.pem', cert_file: '/etc/kafka/client.pem', key_file: '/etc/kafka/client.key', verify: true },
          batch: { max_bytes: 1000000, timeout_ms: 500 },
          framing: 'single',
        },
        // kept, with its strftime topic reported
        audit_out: { type: 'kafka', inputs: ['lanes.audit'], bootstrap_servers: 'kafka-0.kafka:9092', topic: 'audit-%Y-%m-%d', framing: 'single' },
        everything_else: { type: 'console', inputs: ['lanes._unmatched'], encoding: { codec: 'json' } },
        enriched: { type: 'console', inputs: ['k8s'] },
      },
    });
  });

  it('reports every untranslated piece with its file:line', () => {
    expect(items('not translated').sort()).toEqual(
      [
        'k8s-to-kafka.toml:8 api.playground',
        'k8s-to-kafka.toml:14 sources.k8s.extra_label_selector',
        'k8s-to-kafka.toml:17 sources.k8s.pod_annotation_fields',
        'k8s-to-kafka.toml:115 transforms.enrich.source', // a VRL program with an if
        'k8s-to-kafka.toml:43 transforms.thin.exclude',
        'k8s-to-kafka.toml:53 transforms.tagged.condition', // match() with a regex
        'k8s-to-kafka.toml:50 transforms.tagged',
        'k8s-to-kafka.toml:61 sinks.kafka_all.compression', // zstd
        'k8s-to-kafka.toml:63 sinks.kafka_all.librdkafka_options.queue.buffering.max.ms',
        'k8s-to-kafka.toml:67 sinks.kafka_all.encoding.timestamp_format',
        'k8s-to-kafka.toml:85 sinks.kafka_all.batch.max_events',
        'k8s-to-kafka.toml:96 sinks.audit_out.topic', // strftime template
        'k8s-to-kafka.toml:100 sinks.loki.type', // unknown sink
      ].sort(),
    );
    const byPath = new Map(report.items.map((i) => [i.path, i.message]));
    expect(byPath.get('transforms.enrich.source')).toMatch(/VRL program.*statement 1 `if \.kubernetes\.pod_labels\.tier == "frontend" \{`/);
    expect(byPath.get('transforms.tagged.condition')).toMatch(/match\(\) has no flowlog condition/);
    expect(byPath.get('sinks.kafka_all.compression')).toMatch(/"zstd" is not supported/);
    expect(byPath.get('sinks.audit_out.topic')).toMatch(/strftime/);
    expect(byPath.get('sinks.loki.type')).toMatch(/"loki" has no flowlog equivalent/);
  });

  it('notes approximations and rewiring', () => {
    expect(items('note').sort()).toEqual(
      [
        'k8s-to-kafka.toml:36 transforms.errors_only.condition.source',
        'k8s-to-kafka.toml:43 transforms.thin.exclude',
        'k8s-to-kafka.toml:59 sinks.kafka_all.topic',
        'k8s-to-kafka.toml:62 sinks.kafka_all.message_timeout_ms',
        'k8s-to-kafka.toml:66 sinks.kafka_all.encoding.codec',
        'k8s-to-kafka.toml:97 sinks.audit_out.encoding.codec',
        'k8s-to-kafka.toml:27 transforms.parse.source', // parse_json approximation
        'k8s-to-kafka.toml:27 transforms.parse.source', // .env assumed to be the attribute env
        'k8s-to-kafka.toml:25 transforms.parse.type', // remap became parse_json → set
        'k8s-to-kafka.toml:46 transforms.lanes.type',
        'k8s-to-kafka.toml:123 sinks.enriched.inputs',
      ].sort(),
    );
    expect(report.items.find((i) => i.path === 'sinks.enriched.inputs')!.message).toBe('input "enrich" was left out; now reads k8s');
    expect(report.items.find((i) => i.path === 'transforms.parse.type')!.message).toBe('remap became parse_json → set');
  });
});

describe('import vector: route lanes', () => {
  it('a lane whose condition cannot be translated is reported, and so are its consumers and _unmatched', () => {
    const text = [
      '[sources.in]',
      'type = "file"',
      'include = ["/var/log/*.log"]',
      '',
      '[transforms.split]',
      'type = "route"',
      'inputs = ["in"]',
      'route.ok = \'.kubernetes.pod_namespace == "a"\'',
      'route.regex = \'match(string!(.message), r"x")\'',
      '',
      '[sinks.a]',
      'type = "console"',
      'inputs = ["split.ok", "split.regex"]',
      '',
      '[sinks.b]',
      'type = "console"',
      'inputs = ["split._unmatched"]',
    ].join('\n');
    const { config, report } = importVector(text, 'route.toml');
    expect(config.transforms).toEqual({ 'split.ok': { type: 'filter', inputs: ['in'], condition: { attribute: 'k8s.namespace.name', equals: 'a' } } });
    expect(config.sinks).toEqual({ a: { type: 'console', inputs: ['split.ok'] } });
    expect(report.items.filter((i) => i.kind === 'not translated').map((i) => `${i.where} ${i.path}`)).toEqual([
      'route.toml:9 transforms.split.route.regex',
      'route.toml:8 transforms.split.route',
      'route.toml:13 sinks.a.inputs.1',
      'route.toml:17 sinks.b.inputs.0',
      'route.toml:15 sinks.b',
    ]);
  });
});
