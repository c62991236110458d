// Metrics in the Prometheus text exposition format (0.0.4). Counters, gauges and histograms with
// label sets; a handle per label set is cached, so hot paths call `inc` on a plain object.

export type Labels = Record<string, string>;

interface Series {
  labels: Labels;
  value: number;
  buckets?: number[];
  sum?: number;
}

type Kind = 'counter' | 'gauge' | 'histogram';

class Family {
  readonly series = new Map<string, Series>();
  collectFn?: () => void;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly kind: Kind,
    readonly bounds: number[] = [],
  ) {}

  get(labels: Labels): Series {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, value: 0 };
      if (this.kind === 'histogram') {
        s.buckets = new Array(this.bounds.length).fill(0);
        s.sum = 0;
      }
      this.series.set(key, s);
    }
    return s;
  }
}

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}=${labels[k]}`).join(',');
}

function fmtLabels(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(`${extra[0]}="${extra[1]}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function fmtValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export interface Counter {
  inc(n?: number): void;
  readonly value: number;
}
export interface Gauge {
  set(v: number): void;
  inc(n?: number): void;
  dec(n?: number): void;
  readonly value: number;
}
export interface Histogram {
  observe(v: number): void;
}

export const DEFAULT_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export class Metrics {
  private readonly families = new Map<string, Family>();

  constructor(private readonly constLabels: Labels = {}) {}

  private family(name: string, help: string, kind: Kind, bounds?: number[]): Family {
    let f = this.families.get(name);
    if (!f) {
      if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
      f = new Family(name, help, kind, bounds);
      this.families.set(name, f);
    } else if (f.kind !== kind) {
      throw new Error(`metric ${name} registered as ${f.kind} and ${kind}`);
    }
    return f;
  }

  counter(name: string, help: string, labels: Labels = {}): Counter {
    const s = this.family(name, help, 'counter').get({ ...this.constLabels, ...labels });
    return {
      inc(n = 1) {
        s.value += n;
      },
      get value() {
        return s.value;
      },
    };
  }

  gauge(name: string, help: string, labels: Labels = {}): Gauge {
    const s = this.family(name, help, 'gauge').get({ ...this.constLabels, ...labels });
    return {
      set(v) {
        s.value = v;
      },
      inc(n = 1) {
        s.value += n;
      },
      dec(n = 1) {
        s.value -= n;
      },
      get value() {
        return s.value;
      },
    };
  }

  histogram(name: string, help: string, labels: Labels = {}, bounds = DEFAULT_SECONDS_BUCKETS): Histogram {
    const f = this.family(name, help, 'histogram', bounds);
    const s = f.get({ ...this.constLabels, ...labels });
    return {
      observe(v) {
        s.value++;
        s.sum! += v;
        for (let i = 0; i < f.bounds.length; i++) if (v <= f.bounds[i]!) s.buckets![i]!++;
      },
    };
  }

  /** Runs `fn` before each render, to refresh gauges computed on demand (spool depth...). */
  onCollect(name: string, fn: () => void): void {
    const f = this.families.get(name);
    if (!f) throw new Error(`onCollect: metric ${name} not registered`);
    f.collectFn = fn;
  }

  /** A snapshot of one series' value (tests, `--json` output). */
  valueOf(name: string, labels: Labels = {}): number | undefined {
    const f = this.families.get(name);
    f?.collectFn?.();
    return f?.series.get(labelKey({ ...this.constLabels, ...labels }))?.value;
  }

  render(): string {
    const lines: string[] = [];
    for (const f of [...this.families.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      f.collectFn?.();
      lines.push(`# HELP ${f.name} ${f.help.replace(/\n/g, ' ')}`);
      lines.push(`# TYPE ${f.name} ${f.kind}`);
      for (const s of f.series.values()) {
        if (f.kind !== 'histogram') {
          lines.push(`${f.name}${fmtLabels(s.labels)} ${fmtValue(s.value)}`);
          continue;
        }
        f.bounds.forEach((b, i) => lines.push(`${f.name}_bucket${fmtLabels(s.labels, ['le', String(b)])} ${s.buckets![i]}`));
        lines.push(`${f.name}_bucket${fmtLabels(s.labels, ['le', '+Inf'])} ${s.value}`);
        lines.push(`${f.name}_sum${fmtLabels(s.labels)} ${fmtValue(s.sum!)}`);
        lines.push(`${f.name}_count${fmtLabels(s.labels)} ${s.value}`);
      }
    }
    return lines.join('\n') + '\n';
  }
}
