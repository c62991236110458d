// A small parser for the simple VRL boolean expressions Vector users write in `filter` conditions:
// comparisons of a field with a literal (==, !=), contains / starts_with (with or without string!()),
// `!`, &&, || and parentheses. Anything else is refused with the reason, so the caller can report it.
import { mapField, pathSegments } from './fields.js';

export type Condition =
  | { severity_at_least: string }
  | { body_contains: string }
  | { attribute: string; equals: string }
  | { attribute: string; prefix: string }
  | { attribute: string; contains: string }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export class VrlUnsupported extends Error {}

type Tok =
  | { t: 'path'; v: string }
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'ident'; v: string }
  | { t: 'op'; v: string }
  | { t: 'unsupported'; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#') throw new VrlUnsupported('comments make this a VRL program, not a simple condition');
    const two = src.slice(i, i + 2);
    if (two === '==' || two === '!=' || two === '&&' || two === '||') {
      out.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if (c === '!' || c === '(' || c === ')' || c === ',' || c === ':') {
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    if (c === '"') {
      let s = '';
      i++;
      while (i < src.length && src[i] !== '"') {
        if (src[i] === '\\') {
          const n = src[i + 1];
          s += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n;
          i += 2;
        } else if (src[i] === '{' && src[i + 1] === '{') {
          throw new VrlUnsupported('string templates are not supported in conditions');
        } else s += src[i++];
      }
      if (i >= src.length) throw new VrlUnsupported('unterminated string');
      i++;
      out.push({ t: 'str', v: s });
      continue;
    }
    if ((c === 'r' || c === 't') && (src[i + 1] === '"' || src[i + 1] === "'")) {
      const end = src.indexOf(src[i + 1]!, i + 2);
      if (end < 0) throw new VrlUnsupported('unterminated literal');
      out.push({ t: 'unsupported', v: `${c === 'r' ? 'regex' : 'timestamp'} literals have no flowlog condition` });
      i = end + 1;
      continue;
    }
    if (c === "'" || (c === 's' && src[i + 1] === "'")) {
      const start = c === 's' ? i + 2 : i + 1;
      const end = src.indexOf("'", start);
      if (end < 0) throw new VrlUnsupported('unterminated raw string');
      out.push({ t: 'str', v: src.slice(start, end) });
      i = end + 1;
      continue;
    }
    if (c === '.') {
      const m = /^\.(?:[A-Za-z0-9_@-]+|"[^"]*")(?:\.(?:[A-Za-z0-9_@-]+|"[^"]*"))*/.exec(src.slice(i));
      if (!m) throw new VrlUnsupported(`unsupported path at "${src.slice(i, i + 20)}"`);
      out.push({ t: 'path', v: m[0] });
      i += m[0].length;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*!?/.exec(src.slice(i));
    if (id) {
      if (id[0] === 'true' || id[0] === 'false') out.push({ t: 'bool', v: id[0] === 'true' });
      else out.push({ t: 'ident', v: id[0].replace(/!$/, '') });
      i += id[0].length;
      continue;
    }
    throw new VrlUnsupported(`unsupported VRL syntax at "${src.slice(i, i + 20)}"`);
  }
  return out;
}

type Operand = { k: 'path'; v: string } | { k: 'lit'; v: string | number | boolean } | { k: 'cond'; c: Condition };

class Parser {
  private i = 0;
  notes: string[] = [];
  constructor(private readonly toks: Tok[]) {}

  parse(): Condition {
    if (this.toks.length === 0) throw new VrlUnsupported('empty condition');
    const c = this.or();
    if (this.i < this.toks.length) throw new VrlUnsupported(`unsupported VRL after a complete condition: ${describe(this.toks[this.i]!)}`);
    return c;
  }

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t?.t === 'op' && t.v === v;
  }
  private expectOp(v: string): void {
    if (!this.isOp(v)) throw new VrlUnsupported(`expected "${v}"${this.peek() ? ` at ${describe(this.peek()!)}` : ' at the end'}`);
    this.i++;
  }

  private or(): Condition {
    const parts = [this.and()];
    while (this.isOp('||')) {
      this.i++;
      parts.push(this.and());
    }
    return parts.length === 1 ? parts[0]! : { any: parts.flatMap((p) => ('any' in p ? p.any : [p])) };
  }

  private and(): Condition {
    const parts = [this.unary()];
    while (this.isOp('&&')) {
      this.i++;
      parts.push(this.unary());
    }
    return parts.length === 1 ? parts[0]! : { all: parts.flatMap((p) => ('all' in p ? p.all : [p])) };
  }

  private unary(): Condition {
    if (this.isOp('!')) {
      this.i++;
      const inner = this.unary();
      return 'not' in inner ? inner.not : { not: inner };
    }
    return this.comparison();
  }

  private comparison(): Condition {
    if (this.isOp('(')) {
      this.i++;
      const c = this.or();
      this.expectOp(')');
      return c;
    }
    const left = this.operand();
    if (this.isOp('==') || this.isOp('!=')) {
      const op = (this.toks[this.i++] as { v: string }).v;
      const right = this.operand();
      const c = this.equality(left, right);
      return op === '==' ? c : { not: c };
    }
    if (left.k !== 'cond') throw new VrlUnsupported('a condition must compare a field (==, !=) or call contains / starts_with');
    return left.c;
  }

  private operand(): Operand {
    const t = this.peek();
    if (!t) throw new VrlUnsupported('the condition ends too early');
    this.i++;
    if (t.t === 'path') return { k: 'path', v: t.v };
    if (t.t === 'str' || t.t === 'num' || t.t === 'bool') return { k: 'lit', v: t.v };
    if (t.t === 'ident') return this.call(t.v);
    if (t.t === 'unsupported') throw new VrlUnsupported(t.v);
    throw new VrlUnsupported(`unexpected ${describe(t)}`);
  }

  private call(name: string): Operand {
    if (!['string', 'to_string', 'contains', 'starts_with'].includes(name)) throw new VrlUnsupported(`the VRL function ${name}() has no flowlog condition`);
    this.expectOp('(');
    const args: Operand[] = [];
    while (!this.isOp(')')) {
      const next = this.toks[this.i + 1];
      if (this.peek()?.t === 'ident' && next?.t === 'op' && next.v === ':') {
        throw new VrlUnsupported(`named arguments in ${name}() (${(this.peek() as { v: string }).v}:) are not translated`);
      }
      args.push(this.operand());
      if (this.isOp(',')) this.i++;
      else if (!this.isOp(')')) throw new VrlUnsupported(`unsupported argument syntax in ${name}(): named arguments and expressions are not translated`);
    }
    this.i++;
    switch (name) {
      case 'string':
      case 'to_string':
        if (args.length !== 1) throw new VrlUnsupported(`${name}() takes one argument`);
        return args[0]!;
      case 'contains':
      case 'starts_with': {
        if (args.length !== 2) throw new VrlUnsupported(`${name}() with case_sensitive or more arguments is not translated`);
        const [field, lit] = args;
        if (field!.k !== 'path' || lit!.k !== 'lit' || typeof lit!.v !== 'string') throw new VrlUnsupported(`${name}() must take a field and a string literal`);
        return { k: 'cond', c: this.match(field!.v, name === 'contains' ? 'contains' : 'prefix', lit!.v) };
      }
      default:
        throw new VrlUnsupported(`the VRL function ${name}() has no flowlog condition`);
    }
  }

  private match(path: string, how: 'contains' | 'prefix', value: string): Condition {
    const f = mapField(path);
    if (!f) throw new VrlUnsupported(`unsupported field path ${path}`);
    if (f.kind === 'body') {
      if (how === 'contains') return { body_contains: value };
      throw new VrlUnsupported('starts_with on .message has no flowlog condition (only body_contains)');
    }
    if (f.kind !== 'attribute') throw new VrlUnsupported(`${how === 'contains' ? 'contains' : 'starts_with'} on ${path} has no flowlog condition`);
    if (!f.known) this.notes.push(`field ${path} assumed to be the attribute "${f.name}"`);
    return how === 'contains' ? { attribute: f.name, contains: value } : { attribute: f.name, prefix: value };
  }

  private equality(a: Operand, b: Operand): Condition {
    const [path, lit] = a.k === 'path' && b.k === 'lit' ? [a.v, b.v] : b.k === 'path' && a.k === 'lit' ? [b.v, a.v] : [null, null];
    if (path === null || lit === null) throw new VrlUnsupported('only a field compared with a literal is translated');
    const f = mapField(path);
    if (!f) throw new VrlUnsupported(`unsupported field path ${path}`);
    if (f.kind === 'severity') {
      if (typeof lit !== 'string') throw new VrlUnsupported(`${path} compared with a non-string`);
      const range = SEVERITY_RANGES[lit.toLowerCase()];
      if (!range) throw new VrlUnsupported(`${path} == "${lit}": unknown level name`);
      const field = pathSegments(path)!.join('.');
      this.notes.push(
        `${path} == "${lit}" matches the event severity in ${range[0]}..${range[1] ?? 'fatal'} (sources that set it: journald, http_server) or an attribute "${field}" equal to "${lit}" (e.g. from parse_json)`,
      );
      const sev: Condition = range[1] ? { all: [{ severity_at_least: range[0] }, { not: { severity_at_least: range[1] } }] } : { severity_at_least: range[0] };
      return { any: [sev, { attribute: field, equals: lit }] };
    }
    if (f.kind === 'body') throw new VrlUnsupported('equality on .message has no flowlog condition (body_contains is the body matcher)');
    if (f.kind === 'timestamp') throw new VrlUnsupported('conditions on .timestamp have no flowlog condition');
    if (!f.known) this.notes.push(`field ${path} assumed to be the attribute "${f.name}"`);
    if (typeof lit !== 'string') this.notes.push(`${path} is compared with "${String(lit)}" as text`);
    return { attribute: f.name, equals: String(lit) };
  }
}

/** Level name → [lowest severity of its range, first severity above it] on the OpenTelemetry scale. */
const SEVERITY_RANGES: Record<string, [string, string | undefined]> = {
  trace: ['trace', 'debug'],
  debug: ['debug', 'info'],
  info: ['info', 'warn'],
  warn: ['warn', 'error'],
  warning: ['warn', 'error'],
  error: ['error', 'fatal'],
  err: ['error', 'fatal'],
  fatal: ['fatal', undefined],
};

function describe(t: Tok): string {
  return t.t === 'str' ? `"${t.v}"` : String(t.v);
}

/** A VRL boolean expression as a flowlog condition, plus notes on approximations; throws VrlUnsupported. */
export function translateCondition(src: string): { condition: Condition; notes: string[] } {
  if (/\n\s*\S/.test(src.trim()) && /(^|\n)\s*\.[\w.]+\s*=[^=]/.test(src)) throw new VrlUnsupported('assignments make this a VRL program, not a simple condition');
  const p = new Parser(tokenize(src));
  return { condition: p.parse(), notes: p.notes };
}
