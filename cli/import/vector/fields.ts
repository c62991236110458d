// Vector field paths (`.kubernetes.pod_namespace`) and templates (`{{ kubernetes.pod_namespace }}`)
// → flowlog names (`k8s.namespace.name`, `{{ k8s.namespace.name }}`). The table is the one the
// http_server source applies to received Vector events, so both sides agree.
import { VECTOR_FIELDS } from '../../../agent/sources/http/fields.js';

export type FieldTarget = { kind: 'body' } | { kind: 'severity' } | { kind: 'timestamp' } | { kind: 'attribute'; name: string; known: boolean };

/** A path's segments, without the leading dot: `.a."b.c".d` → ['a', 'b.c', 'd']. Null when it is not a plain path. */
export function pathSegments(path: string): string[] | null {
  let s = path.trim();
  if (s.startsWith('.')) s = s.slice(1);
  if (s === '') return null;
  const segs: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === '"') {
      const end = s.indexOf('"', i + 1);
      if (end < 0) return null;
      segs.push(s.slice(i + 1, end));
      i = end + 1;
    } else {
      const m = /^[A-Za-z0-9_@-]+/.exec(s.slice(i));
      if (!m) return null;
      segs.push(m[0]);
      i += m[0].length;
    }
    if (i < s.length) {
      if (s[i] !== '.') return null;
      i++;
    }
  }
  return segs;
}

/** What a Vector field path means in flowlog. */
export function mapField(path: string): FieldTarget | null {
  const segs = pathSegments(path);
  if (!segs) return null;
  const dotted = segs.join('.');
  if (dotted === 'message') return { kind: 'body' };
  if (dotted === 'level' || dotted === 'severity') return { kind: 'severity' };
  if (dotted === 'timestamp') return { kind: 'timestamp' };
  const known = VECTOR_FIELDS[dotted];
  return known ? { kind: 'attribute', name: known, known: true } : { kind: 'attribute', name: dotted, known: false };
}

export interface TemplateResult {
  value: string;
  problems: string[];
  notes: string[];
}

/**
 * Rewrites a Vector template: `{{ field.path }}` parts become flowlog attribute names; strftime
 * specifiers (`%Y`) and fields without an attribute equivalent are reported as problems.
 */
export function mapTemplate(tpl: string): TemplateResult {
  const problems: string[] = [];
  const notes: string[] = [];
  const value = tpl.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_m, inner: string) => {
    const t = mapField(inner);
    if (!t) {
      problems.push(`template part {{ ${inner} }} is not a field path`);
      return `{{ ${inner} }}`;
    }
    if (t.kind !== 'attribute') {
      problems.push(`template part {{ ${inner} }} refers to the ${t.kind}, which flowlog templates cannot use`);
      return `{{ ${inner} }}`;
    }
    if (!t.known) notes.push(`template field ${inner} assumed to be the attribute "${t.name}"`);
    return `{{ ${t.name} }}`;
  });
  if (/%[a-zA-Z]/.test(value.replace(/\{\{[^}]*\}\}/g, ''))) problems.push(`strftime specifiers (${value}) are not supported in flowlog templates`);
  return { value, problems, notes };
}
