// The simplest VRL remap programs, statement by statement, into flowlog's built-in transforms:
//   .field = "literal" | 123 | true        → set
//   del(.field)                            → remove
//   .new = del(.old)                       → rename
//   . = merge(., parse_json!(.message))    → parse_json   (also `. |= parse_json!(.message)`)
// Any other statement makes the whole program untranslatable (reported with the statement).
import { mapField } from './fields.js';

export type Step = { type: 'set'; fields: Record<string, string | number | boolean> } | { type: 'remove'; fields: string[] } | { type: 'rename'; fields: Record<string, string> } | { type: 'parse_json' };

export class RemapUnsupported extends Error {}

/** Statements of a VRL program (comments and blank lines removed; `;` and newlines separate). */
function statements(src: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quote) {
      cur += c;
      if (c === '\\') cur += src[++i] ?? '';
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      cur += c;
    } else if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      i--;
    } else if (c === '\n' || c === ';') {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const PATH = String.raw`\.(?:[A-Za-z0-9_@-]+|"[^"]*")(?:\.(?:[A-Za-z0-9_@-]+|"[^"]*"))*`;
const SET = new RegExp(String.raw`^(${PATH})\s*=\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false)$`);
const DEL = new RegExp(String.raw`^del\((${PATH})\)$`);
const RENAME = new RegExp(String.raw`^(${PATH})\s*=\s*del\((${PATH})\)$`);
const PARSE_JSON = /^\.\s*(?:=\s*merge\(\s*\.\s*,\s*parse_json!\((?:string!\()?\.message\)?\)\s*\)|\|=\s*parse_json!\((?:string!\()?\.message\)?\))$/;

function attribute(path: string, stmt: string, notes: string[]): string {
  const f = mapField(path);
  if (!f || f.kind !== 'attribute') throw new RemapUnsupported(`\`${stmt}\`: ${path} is not an attribute in flowlog (set/rename/remove work on attributes)`);
  if (!f.known) notes.push(`field ${path} assumed to be the attribute "${f.name}"`);
  return f.name;
}

/** The program as flowlog steps (consecutive statements of one kind merged), plus notes; throws RemapUnsupported. */
export function translateRemapSource(src: string): { steps: Step[]; notes: string[] } {
  const notes: string[] = [];
  const steps: Step[] = [];
  const stmts = statements(src);
  if (stmts.length === 0) throw new RemapUnsupported('empty program');
  stmts.forEach((stmt, n) => {
    const where = `statement ${n + 1}`;
    let m: RegExpExecArray | null;
    const last = steps[steps.length - 1];
    if ((m = RENAME.exec(stmt))) {
      const to = attribute(m[1]!, stmt, notes);
      const from = attribute(m[2]!, stmt, notes);
      if (last?.type === 'rename') last.fields[from] = to;
      else steps.push({ type: 'rename', fields: { [from]: to } });
    } else if ((m = SET.exec(stmt))) {
      const key = attribute(m[1]!, stmt, notes);
      const lit = m[2]!;
      const value = lit.startsWith('"') ? (JSON.parse(lit) as string) : lit === 'true' ? true : lit === 'false' ? false : Number(lit);
      if (last?.type === 'set' && !(key in last.fields)) last.fields[key] = value;
      else steps.push({ type: 'set', fields: { [key]: value } });
    } else if ((m = DEL.exec(stmt))) {
      const key = attribute(m[1]!, stmt, notes);
      if (last?.type === 'remove') last.fields.push(key);
      else steps.push({ type: 'remove', fields: [key] });
    } else if (PARSE_JSON.test(stmt)) {
      steps.push({ type: 'parse_json' });
      notes.push(`${where} \`${stmt}\` became parse_json: top-level keys become attributes, nested objects stay JSON text, and the body is kept`);
    } else {
      throw new RemapUnsupported(`${where} \`${stmt}\` is beyond what is translated (field = literal, del(), rename by del(), merge with parse_json)`);
    }
  });
  return { steps, notes };
}
