// Topic and header templates: literal text with `{{ attribute.name }}` fields, rendered from the
// routing values the agent grouped events by (so rendering never looks at an event).
import { FlowlogError } from '../../../core/errors.js';

const FIELD = /\{\{\s*([^{}\s]+)\s*\}\}/g;

export interface Template {
  readonly source: string;
  /** Attribute names the template reads. */
  readonly fields: readonly string[];
  /** Renders; null when a field is missing. */
  render(values: Readonly<Record<string, string>>): string | null;
}

export function hasFields(text: string): boolean {
  FIELD.lastIndex = 0;
  return FIELD.test(text);
}

export function parseTemplate(text: string): Template {
  const parts: (string | { field: string })[] = [];
  let last = 0;
  FIELD.lastIndex = 0;
  for (let m = FIELD.exec(text); m; m = FIELD.exec(text)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push({ field: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  const rest = parts.filter((p) => typeof p === 'string').join('');
  if (rest.includes('{{') || rest.includes('}}')) {
    throw new FlowlogError('CONFIG_INVALID', `template "${text}": unbalanced {{ }} (write fields as {{ attribute.name }})`);
  }
  const fields = [...new Set(parts.filter((p): p is { field: string } => typeof p !== 'string').map((p) => p.field))];
  if (fields.length === 0) return { source: text, fields, render: () => text };
  return {
    source: text,
    fields,
    render(values) {
      let s = '';
      for (const p of parts) {
        if (typeof p === 'string') s += p;
        else {
          const v = values[p.field];
          if (v === undefined) return null;
          s += v;
        }
      }
      return s;
    },
  };
}

/** Kafka topic names allow [a-zA-Z0-9._-], at most 249 characters; other characters become '_'. */
export function sanitizeTopic(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9._-]/g, '_').slice(0, 249);
  return s === '' || s === '.' || s === '..' ? '_' : s;
}
