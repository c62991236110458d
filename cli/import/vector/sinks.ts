// Vector sinks → flowlog sinks: kafka (and console). Other sinks are reported and left out.
import { mapField, mapTemplate } from './fields.js';
import { Report, isObj, walkOptions } from './report.js';

type Out = Record<string, unknown>;
export type SinkResult = { type: string; options: Out; spool?: Out } | null;

const untranslated = (r: Report, why: string) => (_v: unknown, at: string[]) => r.untranslated(at, why);
const ignored = (r: Report, why: string) => (_v: unknown, at: string[]) => r.note(at, why);
const ACKS = 'flowlog always acknowledges end to end: a source position moves only after the spool commit';
const HEALTH = 'flowlog checks sinks continuously (see /health); no start-up healthcheck option';

export function translateSink(r: Report, name: string, cfg: Record<string, any>): SinkResult {
  const path = ['sinks', name];
  switch (cfg.type) {
    case 'kafka':
      return kafka(r, path, cfg);
    case 'console':
      return consoleSink(r, path, cfg);
    default:
      r.untranslated([...path, 'type'], `Vector sink type "${cfg.type}" has no flowlog equivalent; the sink was left out`);
      return null;
  }
}

function kafka(r: Report, path: string[], cfg: Record<string, any>): SinkResult {
  const o: Out = {};
  let spool: Out | undefined;
  walkOptions(r, path, cfg, {
    bootstrap_servers: (v) => (o.bootstrap_servers = v),
    topic: (v, at) => {
      const t = mapTemplate(String(v));
      for (const p of t.problems) r.untranslated(at, p);
      for (const n of t.notes) r.note(at, n);
      o.topic = t.value;
      if (t.value.includes('{{')) {
        o.default_topic = t.value.replace(/\{\{[^}]*\}\}/g, 'unknown');
        r.note(at, `default_topic "${o.default_topic}" added: Vector drops events whose template field is missing, flowlog sends them there`);
      }
    },
    key_field: (v, at) => {
      const f = mapField(String(v));
      if (f?.kind === 'attribute') {
        o.key_field = f.name;
        if (!f.known) r.note(at, `field ${v} assumed to be the attribute "${f.name}"`);
      } else r.untranslated(at, `key_field ${v} is not an attribute; messages are sent without a key`);
    },
    compression: (v, at) => {
      if (['none', 'gzip', 'lz4', 'snappy'].includes(v)) o.compression = v;
      else r.untranslated(at, `compression "${v}" is not supported (none, gzip, lz4, snappy); sent uncompressed`);
    },
    encoding: (v, at) => {
      if (!isObj(v)) return r.untranslated(at, 'encoding must be a table');
      for (const [k, val] of Object.entries(v)) {
        if (k === 'codec' && val === 'json') {
          r.note([...at, k], "messages carry flowlog's wire JSON (timestamp, severity_text, body, attributes), not Vector's event JSON: update consumers that read Vector field names");
        } else if (k === 'codec') r.untranslated([...at, k], `codec "${val}" is not supported: flowlog writes JSON events`);
        else r.untranslated([...at, k], `encoding.${k} is not supported: flowlog writes whole events`);
      }
    },
    sasl: (v, at) => {
      if (!isObj(v)) return r.untranslated(at, 'sasl must be a table');
      if (v.enabled === false) return;
      const s: Out = {};
      for (const [k, val] of Object.entries(v)) {
        if (k === 'enabled') continue;
        if (k === 'mechanism') {
          const m = String(val).toLowerCase();
          if (['plain', 'scram-sha-256', 'scram-sha-512'].includes(m)) s.mechanism = m;
          else r.untranslated([...at, k], `SASL mechanism ${val} is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)`);
        } else if (k === 'username') s.username = val;
        else if (k === 'password') {
          s.password = val;
          if (!/^\$\{?[A-Za-z_]/.test(String(val))) r.note([...at, k], 'the password is written inline as in the Vector config; prefer "${KAFKA_PASSWORD}" or password_file');
        } else r.untranslated([...at, k], `sasl.${k} is not supported`);
      }
      o.sasl = s;
    },
    tls: (v, at) => {
      if (!isObj(v)) return r.untranslated(at, 'tls must be a table');
      const t: Out = { enabled: v.enabled ?? true };
      for (const [k, val] of Object.entries(v)) {
        if (k === 'enabled') continue;
        else if (k === 'ca_file' || k === 'key_file') t[k] = val;
        else if (k === 'crt_file') t.cert_file = val;
        else if (k === 'verify_certificate') t.verify = val;
        else if (k === 'verify_hostname' && val === true) continue;
        else r.untranslated([...at, k], `tls.${k} is not supported (flowlog: ca_file, cert_file, key_file, verify)`);
      }
      o.tls = t;
    },
    batch: (v, at) => {
      if (!isObj(v)) return r.untranslated(at, 'batch must be a table');
      const b: Out = {};
      for (const [k, val] of Object.entries(v)) {
        if (k === 'max_bytes') b.max_bytes = val;
        else if (k === 'timeout_secs') b.timeout_ms = Math.round(Number(val) * 1000);
        else r.untranslated([...at, k], `batch.${k} is not supported: flowlog batches by bytes and time`);
      }
      o.batch = b;
    },
    buffer: (v, at) => {
      spool = bufferToSpool(r, at, v);
    },
    acknowledgements: ignored(r, ACKS),
    healthcheck: ignored(r, HEALTH),
    headers_key: untranslated(r, 'per-event Kafka headers from a field are not supported; flowlog `headers` are static or templated strings'),
    librdkafka_options: (v, at) => {
      for (const k of Object.keys(isObj(v) ? v : {})) r.untranslated([...at, k], `librdkafka option ${k} is not supported (flowlog uses its own Kafka client)`);
    },
    message_timeout_ms: (v, at) => {
      o.request_timeout_ms = v;
      r.note(at, 'message_timeout_ms became request_timeout_ms (per produce request; flowlog retries until delivered)');
    },
    socket_timeout_ms: (v) => (o.connection_timeout_ms = v),
  }, "flowlog's kafka sink");
  // Vector's kafka sink sends one event per message
  o.framing = 'single';
  return { type: 'kafka', options: o, spool };
}

function consoleSink(r: Report, path: string[], cfg: Record<string, any>): SinkResult {
  const o: Out = {};
  walkOptions(r, path, cfg, {
    target: (v) => (o.target = v),
    encoding: (v, at) => {
      const codec = isObj(v) ? v.codec : v;
      if (codec === 'json' || codec === 'text') o.encoding = { codec };
      else r.untranslated(at, `console codec "${codec}" is not supported (json, text)`);
    },
    acknowledgements: ignored(r, ACKS),
    healthcheck: ignored(r, HEALTH),
    buffer: ignored(r, 'flowlog buffers every sink in its disk spool'),
  }, "flowlog's console sink");
  return { type: 'console', options: o };
}

/** A Vector sink buffer → flowlog's spool section (one spool for the whole agent). */
function bufferToSpool(r: Report, at: string[], v: unknown): Out | undefined {
  const buffers = Array.isArray(v) ? v : [v];
  if (buffers.length > 1) r.untranslated(at, 'chained buffers are not supported; the first one was used');
  const b = buffers[0];
  if (!isObj(b)) return undefined;
  const s: Out = {};
  if (b.type === 'disk') {
    if (b.max_size !== undefined) s.max_bytes = b.max_size;
  } else {
    r.note(at, 'flowlog buffers in its SQLite disk spool, not in memory (max_events has no equivalent)');
  }
  if (b.when_full === 'block' || b.when_full === undefined) s.when_full = 'block';
  else r.untranslated([...at, 'when_full'], `when_full "${b.when_full}" is not supported: flowlog's spool can block or drop_oldest`);
  return s;
}
