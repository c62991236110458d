// YAML parsing that remembers where every key came from, and ${ENV} interpolation on string values.
import { LineCounter, parseDocument, isScalar, isMap, isSeq, isPair, visit, type Document, type Node } from 'yaml';

export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted key path ("sinks.kafka.topic"), '' for the document. */
  path: string;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  return `${where}: ${p.path ? p.path + ': ' : ''}${p.message}`;
}

export interface ParsedYaml {
  doc: Document.Parsed;
  lines: LineCounter;
  file: string;
}

export function parseYaml(text: string, file: string): { parsed: ParsedYaml; problems: ConfigProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const problems: ConfigProblem[] = doc.errors.map((e) => {
    const pos = e.linePos?.[0] ?? { line: 0, col: 0 };
    return { file, line: pos.line, column: pos.col, path: '', message: e.message.split('\n')[0]! };
  });
  return { parsed: { doc, lines, file }, problems };
}

/**
 * Where a key path points in the file: the key itself when `onKey` (for "unknown key" errors), else
 * its value; falls back to the nearest existing parent.
 */
export function locate(p: ParsedYaml, path: readonly (string | number)[], onKey = false): { line: number; column: number } {
  let node: unknown = p.doc.contents;
  let best: { line: number; column: number } = { line: 1, column: 1 };
  const posOf = (n: unknown) => {
    const range = (n as Node | undefined)?.range;
    if (!range) return null;
    const lp = p.lines.linePos(range[0]);
    return { line: lp.line, column: lp.col };
  };
  const first = posOf(node);
  if (first) best = first;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg));
      if (!pair) return best;
      const last = i === path.length - 1;
      const target = last && onKey ? pair.key : (pair.value ?? pair.key);
      const pos = posOf(target) ?? posOf(pair.key);
      if (pos) best = pos;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      const pos = posOf(node);
      if (pos) best = pos;
    } else {
      return best;
    }
  }
  return best;
}

const ENV_REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Replaces ${VAR}, ${VAR:-default}, ${VAR-default} and $VAR in every string scalar (keys untouched);
 * `$$` is a literal `$`. An unset variable without default is a problem naming its line and key path.
 */
export function interpolateEnv(p: ParsedYaml, env: NodeJS.ProcessEnv): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  visit(p.doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const original = node.value;
      node.value = original.replace(ENV_REF, (m, braced?: string, def?: string, bare?: string) => {
        if (m === '$$') return '$';
        const name = (braced ?? bare)!;
        const v = env[name];
        if (v !== undefined && v !== '') return v;
        if (def !== undefined) return def;
        const path = pathOf(ancestors);
        const pos = node.range ? p.lines.linePos(node.range[0]) : { line: 0, col: 0 };
        problems.push({
          file: p.file,
          line: pos.line,
          column: pos.col,
          path: path.join('.'),
          message: `environment variable ${name} is not set (use \${${name}:-default} for a default)`,
        });
        return m;
      });
    },
  });
  return problems;
}

function pathOf(ancestors: readonly unknown[]): (string | number)[] {
  const out: (string | number)[] = [];
  for (let i = 0; i < ancestors.length; i++) {
    const a = ancestors[i];
    if (isPair(a) && isScalar(a.key)) out.push(String(a.key.value));
    else if (isSeq(a)) {
      const next = ancestors[i + 1];
      const idx = a.items.indexOf(next as never);
      if (idx >= 0) out.push(idx);
    }
  }
  return out;
}
