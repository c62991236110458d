// Field names used by Vector and Fluent Bit events, and the flowlog attribute names they become
// (OpenTelemetry semantic conventions, core/event.ts `Attr`). Used by the HTTP source, which receives
// such events as JSON, and by `flowlog import vector`, which rewrites field paths in conditions,
// templates and key fields. Keys are dotted paths of the flattened record.
import { Attr } from '../../../core/event.js';

export const VECTOR_FIELDS: Readonly<Record<string, string>> = {
  host: Attr.hostName,
  file: Attr.filePath,
  stream: Attr.iostream,
  // kubernetes_logs
  'kubernetes.pod_namespace': Attr.k8sNamespace,
  'kubernetes.pod_name': Attr.k8sPod,
  'kubernetes.pod_uid': Attr.k8sPodUid,
  'kubernetes.container_name': Attr.k8sContainer,
  'kubernetes.container_id': Attr.containerId,
  'kubernetes.pod_node_name': Attr.k8sNode,
  // journald
  _SYSTEMD_UNIT: Attr.systemdUnit,
  SYSLOG_IDENTIFIER: Attr.syslogIdentifier,
  _PID: Attr.processPid,
  _COMM: Attr.processCommand,
  _HOSTNAME: Attr.hostName,
  _BOOT_ID: Attr.bootId,
};

/** Fluent Bit's kubernetes filter and tail input. */
export const FLUENT_BIT_FIELDS: Readonly<Record<string, string>> = {
  'kubernetes.namespace_name': Attr.k8sNamespace,
  'kubernetes.pod_name': Attr.k8sPod,
  'kubernetes.pod_id': Attr.k8sPodUid,
  'kubernetes.container_name': Attr.k8sContainer,
  'kubernetes.docker_id': Attr.containerId,
  'kubernetes.host': Attr.k8sNode,
};

/** Both tables: a received record's flattened key → flowlog attribute name. */
export const KNOWN_FIELDS: Readonly<Record<string, string>> = { ...FLUENT_BIT_FIELDS, ...VECTOR_FIELDS };

/** Record keys that become the body, the event time and the severity (first present wins). */
export const BODY_KEYS = ['message', 'log', 'body'] as const;
export const TIME_KEYS = ['timestamp', 'date', 'time'] as const;
export const SEVERITY_KEYS = ['level', 'severity'] as const;
