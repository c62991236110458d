// Cursor bookkeeping. The checkpoint of a batch is the cursor of the LAST entry read into it
// (filtered-out entries included), and reading resumes with `--after-cursor`, which starts strictly
// after that entry: nothing is sent twice, nothing skipped.
import type { Checkpoint } from '../../../core/component.js';
import { ExportParser } from './export-parser.js';
import { spawnJournalctl, exited, type StartAt } from './process.js';

/** One journalctl process per source reads one (merged) journal: one checkpoint key. */
export const CHECKPOINT_KEY = 'journal';

export function checkpointOf(source: string, cursor: string): Checkpoint {
  return { source, key: CHECKPOINT_KEY, value: cursor };
}

/** Where to start: after the stored cursor; else the tail (since_now) or the head. */
export function startFrom(stored: string | undefined, sinceNow: boolean): StartAt {
  if (stored) return { after: stored };
  return sinceNow ? 'tail' : 'head';
}

/**
 * The cursor of the newest entry (null for an empty journal), so that a since_now start can be
 * checkpointed right away and a restart before the first entry does not skip what came in between.
 */
export async function tailCursor(journalctlPath: string, args: string[]): Promise<{ cursor: string | null; stderr: string }> {
  const child = await spawnJournalctl(journalctlPath, args);
  let cursor: string | null = null;
  const parser = new ExportParser({
    field(name, value) {
      if (name === '__CURSOR') cursor = typeof value === 'string' ? value : value.toString('latin1');
    },
    end() {},
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    if (stderr.length < 4096) stderr += s;
  });
  for await (const chunk of child.stdout) parser.push(chunk as Buffer);
  await exited(child);
  return { cursor, stderr };
}
