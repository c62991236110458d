// What the importer could not translate (or translated only approximately), each with its location.
import type { ParsedVector } from './parse.js';

export type ItemKind = 'not translated' | 'note';

export interface ReportItem {
  kind: ItemKind;
  /** file:line (or the file alone). */
  where: string;
  /** Key path in the Vector config: `transforms.parse.source`. */
  path: string;
  message: string;
}

export class Report {
  readonly items: ReportItem[] = [];
  constructor(private readonly parsed: ParsedVector) {}

  /** Something of the Vector config that the flowlog config does not do. */
  untranslated(path: readonly string[], message: string): void {
    this.items.push({ kind: 'not translated', where: this.parsed.where(path), path: path.join('.'), message });
  }

  /** Translated, but with an assumption or an approximation the user should check. */
  note(path: readonly string[], message: string): void {
    this.items.push({ kind: 'note', where: this.parsed.where(path), path: path.join('.'), message });
  }

  get untranslatedCount(): number {
    return this.items.filter((i) => i.kind === 'not translated').length;
  }

  /** One line per item: `vector.toml:12: not translated: transforms.parse: ...`. */
  lines(): string[] {
    const order = (k: ItemKind) => (k === 'not translated' ? 0 : 1);
    return [...this.items]
      .sort((a, b) => order(a.kind) - order(b.kind))
      .map((i) => `${i.where}: ${i.kind}: ${i.path}: ${i.message}`);
  }
}

/** Walks a component's options: each handled key calls its handler; the rest is reported. */
export function walkOptions(
  report: Report,
  path: readonly string[],
  options: Record<string, unknown>,
  handlers: Record<string, (value: any, at: string[]) => void>,
  what: string,
): void {
  for (const [key, value] of Object.entries(options)) {
    if (key === 'type' || key === 'inputs') continue;
    const at = [...path, key];
    const h = handlers[key];
    if (h) h(value, at);
    else report.untranslated(at, `${what} has no option "${key}" (not translated)`);
  }
}

export const isObj = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v);
