// Glob patterns for absolute paths, compiled to RegExps. Node 20 has no fs.glob (added in 22) and
// path.matchesGlob is experimental, so this small translator is used instead of a dependency:
// `*` and `?` never cross '/', `**` as a whole segment spans any number of directories,
// `[abc]`/`[!abc]` classes and `{a,b}` alternatives are supported.

export interface CompiledGlob {
  pattern: string;
  re: RegExp;
  /** The longest directory prefix without glob characters (where a walk starts). */
  base: string;
  /** Directory levels below `base` that can match (Infinity with `**`). */
  depth: number;
}

const SPECIAL = /[*?[{]/;

export function compileGlob(pattern: string): CompiledGlob {
  const segs = pattern.split('/');
  let i = 0;
  while (i < segs.length - 1 && !SPECIAL.test(segs[i]!)) i++;
  const base = segs.slice(0, i).join('/') || '/';
  const rest = segs.slice(i);
  const depth = rest.includes('**') ? Infinity : rest.length;
  return { pattern, re: new RegExp('^' + translate(pattern) + '$'), base, depth };
}

function translate(p: string): string {
  let out = '';
  let braces = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (p[i + 1] === '*' && (i === 0 || p[i - 1] === '/') && (p[i + 2] === '/' || i + 2 === p.length)) {
        // "**/" matches zero or more whole directories; a trailing "**" anything below
        if (p[i + 2] === '/') {
          out += '(?:[^/]+/)*';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = p.indexOf(']', i + 2);
      if (close < 0) out += '\\[';
      else {
        let body = p.slice(i + 1, close);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        out += '[' + body.replace(/\\/g, '\\\\') + ']';
        i = close;
      }
    } else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else out += c.replace(/[.+^$()|\\\]}]/g, '\\$&');
  }
  return out;
}

export function matchesAny(path: string, globs: readonly CompiledGlob[]): boolean {
  for (const g of globs) if (g.re.test(path)) return true;
  return false;
}
