// Vector sources → flowlog sources: file, kubernetes_logs, journald, http_server (and the legacy http).
import { Report, isObj, walkOptions } from './report.js';

type Out = Record<string, unknown>;
export type SourceResult = { type: string; options: Out } | null;

const untranslated = (r: Report, why: string) => (_v: unknown, at: string[]) => r.untranslated(at, why);
const ignored = (r: Report, why: string) => (_v: unknown, at: string[]) => r.note(at, why);
const DATA_DIR = 'flowlog keeps source positions in its spool (global data_dir); per-source data_dir is not needed';

export function translateSource(r: Report, name: string, cfg: Record<string, any>): SourceResult {
  const path = ['sources', name];
  switch (cfg.type) {
    case 'file':
      return { type: 'file', options: fileSource(r, path, cfg) };
    case 'kubernetes_logs':
      return { type: 'kubernetes_logs', options: k8sSource(r, path, cfg) };
    case 'journald':
      return { type: 'journald', options: journaldSource(r, path, cfg) };
    case 'http_server':
    case 'http':
      if (cfg.type === 'http') r.note([...path, 'type'], 'the legacy Vector source type "http" became http_server');
      return { type: 'http_server', options: httpSource(r, path, cfg) };
    default:
      r.untranslated([...path, 'type'], `Vector source type "${cfg.type}" has no flowlog equivalent; the source was left out`);
      return null;
  }
}

function fileSource(r: Report, path: string[], cfg: Record<string, any>): Out {
  const o: Out = {};
  walkOptions(r, path, cfg, {
    include: (v) => (o.include = v),
    exclude: (v) => (o.exclude = v),
    read_from: (v) => (o.read_from = v),
    start_at_beginning: (v) => (o.read_from = v ? 'beginning' : 'end'),
    max_line_bytes: (v) => (o.max_line_bytes = v),
    glob_minimum_cooldown_ms: (v) => (o.glob_interval_ms = v),
    rotate_wait_secs: (v) => (o.rotate_wait_ms = v * 1000),
    data_dir: ignored(r, DATA_DIR),
    fingerprint: (v, at) => {
      if (!isObj(v)) return r.untranslated(at, 'fingerprint must be a table');
      for (const [k, val] of Object.entries(v)) {
        if (k === 'strategy' && val === 'checksum') continue;
        if (k === 'strategy') r.note([...at, k], `flowlog identifies files by device, inode and a checksum of the first bytes; strategy "${val}" is not selectable`);
        else if (k === 'bytes' || k === 'fingerprint_bytes') o.fingerprint_bytes = val;
        else r.untranslated([...at, k], `fingerprint.${k} is not supported: flowlog checksums the first fingerprint_bytes bytes`);
      }
    },
    multiline: (v, at) => {
      if (!isObj(v)) return r.untranslated(at, 'multiline must be a table');
      const m: Out = {};
      if (v.start_pattern !== undefined) m.start_pattern = v.start_pattern;
      if (v.timeout_ms !== undefined) m.timeout_ms = v.timeout_ms;
      for (const k of Object.keys(v)) if (!['start_pattern', 'timeout_ms', 'mode', 'condition_pattern'].includes(k)) r.untranslated([...at, k], `multiline.${k} is not supported`);
      const exact = v.mode === 'halt_before' && v.condition_pattern === v.start_pattern;
      if (!exact) {
        r.note(at, `Vector multiline mode "${v.mode}" with condition_pattern ${JSON.stringify(v.condition_pattern)} was approximated: in flowlog a record starts at each line matching start_pattern and takes the lines after it`);
      }
      if (m.start_pattern !== undefined) o.multiline = m;
      else r.untranslated(at, 'multiline without start_pattern cannot be translated');
    },
    ignore_older_secs: untranslated(r, 'flowlog reads every file that matches include (no age limit)'),
  }, 'flowlog\'s file source');
  return o;
}

function k8sSource(r: Report, path: string[], cfg: Record<string, any>): Out {
  const o: Out = {};
  const api: Out = {};
  walkOptions(r, path, cfg, {
    read_from: (v) => (o.read_from = v),
    max_line_bytes: (v) => (o.max_line_bytes = v),
    max_merged_line_bytes: (v) => (o.max_merged_line_bytes = v),
    self_node_name: (v) => (api.node_name = v),
    data_dir: ignored(r, DATA_DIR),
    auto_partial_merge: (v, at) => {
      if (v === false) r.untranslated(at, 'flowlog always merges partial (CRI P / docker split) lines');
    },
    extra_field_selector: (v, at) => {
      for (const part of String(v).split(',').map((s) => s.trim()).filter(Boolean)) {
        const m = /^metadata\.namespace\s*(!=|==|=)\s*(\S+)$/.exec(part);
        if (!m) {
          r.untranslated(at, `field selector "${part}" is not supported (only metadata.namespace=/!= become include_/exclude_namespaces)`);
          continue;
        }
        const key = m[1] === '!=' ? 'exclude_namespaces' : 'include_namespaces';
        o[key] = [...((o[key] as string[]) ?? []), m[2]];
      }
    },
    kube_config_file: untranslated(r, 'flowlog talks to the API server with the in-cluster token (api.token_file, api.ca_file, api.url)'),
    extra_label_selector: untranslated(r, 'pod label selectors are not supported; filter with a `filter` transform on k8s.* attributes'),
    extra_namespace_label_selector: untranslated(r, 'namespace label selectors are not supported; use include_namespaces / exclude_namespaces'),
    include_paths_glob_patterns: untranslated(r, 'flowlog selects pods by namespace, not by path glob'),
    exclude_paths_glob_patterns: untranslated(r, 'flowlog selects pods by namespace, not by path glob'),
    pod_annotation_fields: untranslated(r, 'flowlog names pod metadata with fixed OpenTelemetry attributes (k8s.pod.name, ...)'),
    namespace_annotation_fields: untranslated(r, 'flowlog names namespace metadata with fixed OpenTelemetry attributes'),
    node_annotation_fields: untranslated(r, 'flowlog names node metadata with fixed OpenTelemetry attributes'),
  }, "flowlog's kubernetes_logs source");
  if (Object.keys(api).length) o.api = api;
  return o;
}

function journaldSource(r: Report, path: string[], cfg: Record<string, any>): Out {
  const o: Out = {};
  walkOptions(r, path, cfg, {
    journalctl_path: (v) => (o.journalctl_path = v),
    journal_directory: (v) => (o.journal_directory = v),
    include_units: (v) => (o.include_units = v),
    exclude_units: (v) => (o.exclude_units = v),
    include_matches: (v) => (o.include_matches = v),
    since_now: (v) => (o.since_now = v),
    batch_size: (v) => (o.batch_size = v),
    data_dir: ignored(r, DATA_DIR),
    exclude_matches: untranslated(r, 'flowlog has no exclude_matches; drop those records with a `filter` transform'),
    current_boot_only: untranslated(r, 'flowlog follows the journal from its cursor (or since_now), not per boot'),
    extra_args: untranslated(r, 'flowlog runs journalctl with its own arguments'),
  }, "flowlog's journald source");
  return o;
}

function httpSource(r: Report, path: string[], cfg: Record<string, any>): Out {
  const o: Out = {};
  walkOptions(r, path, cfg, {
    address: (v, at) => {
      o.address = v;
      if (/^(0\.0\.0\.0|\[::\]):/.test(String(v))) r.note(at, `binds ${v} as Vector did (flowlog's default is 127.0.0.1:8080); put auth.token on it`);
    },
    path: (v) => (o.path = v),
    strict_path: (v, at) => {
      if (v === false) r.untranslated(at, 'flowlog accepts records only at `path` (strict)');
    },
    auth: (v, at) => r.untranslated(at, 'Vector http_server auth is HTTP basic (username/password); flowlog takes a bearer token: set auth.token (e.g. "${HTTP_TOKEN}") and give the senders the token'),
    decoding: (v, at) => {
      const codec = isObj(v) ? v.codec : undefined;
      if (codec === 'json' || codec === 'native_json') o.decoding = { codec: 'auto' };
      else r.untranslated([...at, 'codec'], `decoding codec "${codec}" is not supported: flowlog's http_server takes JSON records (NDJSON or arrays)`);
    },
    encoding: (v, at) => {
      if (v === 'json' || v === 'ndjson') o.decoding = { codec: v === 'json' ? 'auto' : 'ndjson' };
      else r.untranslated(at, `encoding "${v}" is not supported: flowlog's http_server takes JSON records (NDJSON or arrays)`);
    },
    framing: ignored(r, 'flowlog reads NDJSON or JSON arrays; framing is chosen per request'),
    acknowledgements: ignored(r, 'flowlog always answers after the records are in the spool'),
    tls: untranslated(r, 'flowlog\'s http_server has no TLS: terminate TLS in front of it or keep it on loopback'),
    headers: untranslated(r, 'request headers are not copied into events'),
    query_parameters: untranslated(r, 'query parameters are not copied into events'),
    host_key: untranslated(r, 'the client address is not added to events'),
    path_key: untranslated(r, 'the request path is not added to events'),
    method: untranslated(r, 'flowlog accepts POST and PUT'),
    response_code: untranslated(r, 'flowlog answers 200 once the records are durable'),
    keepalive: untranslated(r, 'keep-alive settings are not configurable'),
  }, "flowlog's http_server source");
  return o;
}
