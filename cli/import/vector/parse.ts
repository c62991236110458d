// Reads a Vector config (TOML, YAML or JSON, by extension or content) and keeps a way to find the line
// of any key path, so every report can say file:line. TOML: smol-toml for the values, plus a scan of
// table headers and keys for lines; YAML and JSON: the yaml package's source ranges.
import { parse as parseToml, TomlError } from 'smol-toml';
import { LineCounter, parseDocument } from 'yaml';
import { FlowlogError } from '../../../core/errors.js';
import { locate } from '../../../core/config/yaml.js';

export type VectorFormat = 'toml' | 'yaml' | 'json';

export interface ParsedVector {
  file: string;
  format: VectorFormat;
  config: Record<string, unknown>;
  /** 'file:line' of the deepest existing key on the path (the file alone when unknown). */
  where(path: readonly string[]): string;
}

export function detectFormat(file: string, text: string): VectorFormat {
  if (/\.toml$/i.test(file)) return 'toml';
  if (/\.ya?ml$/i.test(file)) return 'yaml';
  if (/\.json$/i.test(file)) return 'json';
  const first = text.trimStart()[0];
  if (first === '{') return 'json';
  return /^\s*\[[A-Za-z_."-]+\]\s*$/m.test(text) ? 'toml' : 'yaml';
}

/** Parses the text; a syntax error throws CONFIG_PARSE with `file:line:column`. */
export function parseVector(text: string, file: string, format = detectFormat(file, text)): ParsedVector {
  if (format === 'toml') {
    let config: Record<string, unknown>;
    try {
      config = parseToml(text) as Record<string, unknown>;
    } catch (e) {
      if (e instanceof TomlError) {
        throw new FlowlogError('CONFIG_PARSE', `${file}:${e.line}:${e.column}: not valid TOML: ${firstLine(e.message)}`, { details: { line: e.line } });
      }
      throw e;
    }
    const lines = tomlKeyLines(text);
    return { file, format, config, where: (path) => whereIn(file, lines, path) };
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
    throw new FlowlogError('CONFIG_PARSE', `${file}:${pos.line}:${pos.col}: not valid ${format.toUpperCase()}: ${firstLine(e.message)}`, { details: { line: pos.line } });
  }
  if (format === 'json') {
    try {
      JSON.parse(text);
    } catch (e) {
      throw new FlowlogError('CONFIG_PARSE', `${file}: not valid JSON: ${(e as Error).message}`);
    }
  }
  const config = (doc.toJS() ?? {}) as Record<string, unknown>;
  if (typeof config !== 'object' || Array.isArray(config)) throw new FlowlogError('CONFIG_PARSE', `${file}:1:1: a Vector config is a mapping of sources, transforms and sinks`);
  const parsed = { doc, lines: lc, file };
  return { file, format, config, where: (path) => `${file}:${locate(parsed, path, true).line}` };
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

/** Line of every key path in a TOML document: table headers, dotted keys, keys inside tables. */
function tomlKeyLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let table: string[] = [];
  let inMultiline: string | null = null;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    if (inMultiline) {
      if (raw.includes(inMultiline)) inMultiline = null;
      continue;
    }
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[\[?\s*([^\]]+?)\s*\]\]?/.exec(line);
    if (header) {
      table = splitKey(header[1]!);
      setFirst(out, table, n + 1);
      continue;
    }
    const kv = /^((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=\s*(.*)$/.exec(line);
    if (!kv) continue;
    const key = [...table, ...splitKey(kv[1]!)];
    for (let i = 1; i <= key.length; i++) setFirst(out, key.slice(0, i), n + 1);
    const value = kv[2]!;
    for (const q of ['"""', "'''"]) {
      const first = value.indexOf(q);
      if (first >= 0 && value.indexOf(q, first + 3) < 0) inMultiline = q;
    }
  }
  return out;
}

function setFirst(m: Map<string, number>, path: string[], line: number): void {
  const k = path.join('\u0000');
  if (!m.has(k)) m.set(k, line);
}

function splitKey(k: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(k)) && m[0] !== '') out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

function whereIn(file: string, lines: Map<string, number>, path: readonly string[]): string {
  for (let i = path.length; i > 0; i--) {
    const line = lines.get(path.slice(0, i).join('\u0000'));
    if (line !== undefined) return `${file}:${line}`;
  }
  return file;
}
