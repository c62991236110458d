// Records Kafka can never accept (over max_message_bytes, invalid topic) are appended to an NDJSON
// file (0600, directory 0700) and fsynced before their batch is acknowledged: set aside, counted,
// never retried in a loop and never lost.
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Counter } from '../../../core/telemetry/metrics.js';

export interface DeadRecord {
  topic: string;
  key: string | null;
  reason: string;
  value: Buffer;
}

export class DeadLetterFile {
  private fd: number | null = null;

  constructor(
    readonly path: string,
    private readonly events: Counter,
    private readonly bytes: Counter,
  ) {}

  /** Appends the records durably. `events` counts the NDJSON lines in each value. */
  write(records: readonly DeadRecord[]): void {
    if (records.length === 0) return;
    if (this.fd === null) {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      this.fd = openSync(this.path, 'a', 0o600);
    }
    let text = '';
    let events = 0;
    let bytes = 0;
    const at = new Date().toISOString();
    for (const r of records) {
      const value = r.value.toString('utf8');
      text += JSON.stringify({ at, topic: r.topic, key: r.key, reason: r.reason, bytes: r.value.length, value }) + '\n';
      events += countLines(r.value);
      bytes += r.value.length;
    }
    writeSync(this.fd, text);
    fsyncSync(this.fd);
    this.events.inc(events);
    this.bytes.inc(bytes);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

function countLines(b: Buffer): number {
  let n = 1;
  for (let i = b.indexOf(10); i >= 0 && i < b.length - 1; i = b.indexOf(10, i + 1)) n++;
  return n;
}
