// Generates kubelet-style log trees in a temporary root (no real node here).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function podDir(root: string, ns: string, pod: string, uid: string, container: string): string {
  const d = join(root, 'pods', `${ns}_${pod}_${uid}`, container);
  mkdirSync(d, { recursive: true });
  return d;
}

export function cri(seqFrom: number, seqTo: number, stream = 'stdout', base = Date.parse('2026-11-24T10:00:00Z')): string {
  let s = '';
  for (let i = seqFrom; i < seqTo; i++) {
    const t = new Date(base + i).toISOString().replace('Z', '') + '123456Z';
    s += `${t} ${stream} F seq=${i} message\n`;
  }
  return s;
}

export function dockerFile(root: string, id: string, entries: { log: string; stream?: string; time?: string }[]): string {
  const d = join(root, 'docker', id);
  mkdirSync(d, { recursive: true });
  const f = join(d, `${id}-json.log`);
  writeFileSync(f, entries.map((e) => JSON.stringify({ log: e.log, stream: e.stream ?? 'stdout', time: e.time ?? '2026-11-24T10:00:00.000000001Z' }) + '\n').join(''));
  return f;
}
