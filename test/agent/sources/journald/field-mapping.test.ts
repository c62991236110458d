// Field mapping and bad input, on real journal files written by systemd-journal-remote and read back
// through journalctl by the source: binary fields, repeated fields, entries without MESSAGE, a
// 1 MiB MESSAGE, invalid UTF-8, PRIORITY → severity, __REALTIME_TIMESTAMP → event time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../../../core/event.js';
import { BASE_US, BOOT_ID, config, seqEntry, startSource, unavailableReason, writeJournal } from './fixtures.js';

const skip = unavailableReason();
const dir = mkdtempSync(join(tmpdir(), 'flowlog-jd-map-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BIG = 'm'.repeat(1024 * 1024 - 3) + 'end';
const INVALID = Buffer.from([0x61, 0xff, 0xfe, 0x62, 0xc3]); // 'a', two invalid bytes, 'b', a truncated sequence
const BINARY = Buffer.from([0, 1, 2, 10, 0xff, 61, 10]);

describe.skipIf(skip)(`journald field mapping${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const bySeq = new Map<string, LogEvent>();
  beforeAll(async () => {
    await writeJournal(join(dir, 'a.journal'), [
      seqEntry(0),
      seqEntry(1, { BLOB: BINARY, TAG: ['one', 'two', 'three'] }),
      (() => {
        const e = seqEntry(2);
        delete e.MESSAGE;
        return e;
      })(),
      seqEntry(3, { MESSAGE: BIG }),
      seqEntry(4, { MESSAGE: INVALID, ODD: INVALID }),
      seqEntry(5, { MESSAGE: 'line one\nline two', PRIORITY: '3' }),
      seqEntry(6, { PRIORITY: '0', _KERNEL_SUBSYSTEM: 'pci', MY_FIELD: 'v' }),
      seqEntry(7, { PRIORITY: '7', MESSAGE: 'héllo ✓ 日本' }),
    ]);
    const s = startSource(config({ journal_directory: dir }));
    try {
      await s.until(() => s.events().length >= 8, 30_000, '8 events');
    } finally {
      await s.stop();
    }
    for (const e of s.events()) bySeq.set(String(e.attributes['journald.seq']), e);
  }, 60_000);

  it('maps the well-known fields and keeps the rest under journald.*', () => {
    const e = bySeq.get('0')!;
    expect(e.body).toBe('entry 0');
    expect([e.severityText, e.severityNumber]).toEqual(['INFO', 9]);
    expect(e.timeMs).toBe(Math.floor(BASE_US / 1000));
    expect(e.timeNs).toBe((BASE_US % 1000) * 1000);
    expect(e.attributes).toMatchObject({
      'systemd.unit': 'app.service',
      'host.name': 'node-1',
      'process.pid': 4242,
      'process.command': 'app',
      'host.boot_id': BOOT_ID,
      'syslog.identifier': 'app',
      'journald.transport': 'journal',
      'journald.monotonic_timestamp': '1000',
      'flowlog.source': 'jd',
    });
    expect(String(e.attributes['journald.cursor'])).toMatch(/^s=[0-9a-f]+;i=1;b=/);
    // mapped fields are not repeated under journald.*
    for (const k of ['journald.message', 'journald.priority', 'journald.systemd_unit', 'journald.hostname', 'journald.pid', 'journald.realtime_timestamp']) {
      expect(e.attributes[k]).toBeUndefined();
    }
    expect(e.attributes['log.invalid_utf8']).toBeUndefined();
  });

  it('keeps the microseconds of __REALTIME_TIMESTAMP', () => {
    const e = bySeq.get('7')!;
    const us = BASE_US + 7;
    expect(BigInt(e.timeMs) * 1_000_000n + BigInt(e.timeNs)).toBe(BigInt(us) * 1000n);
  });

  it('keeps binary field values byte-exact (base64 when not UTF-8) and every value of a repeated field', () => {
    const e = bySeq.get('1')!;
    // 0xff is never valid UTF-8: the value is kept as base64 under <name>.base64
    expect(Buffer.from(String(e.attributes['journald.blob.base64']), 'base64')).toEqual(BINARY);
    expect(e.attributes['journald.blob']).toBeUndefined();
    expect(JSON.parse(String(e.attributes['journald.tag']))).toEqual(['one', 'two', 'three']);
  });

  it('emits an entry without MESSAGE with an empty body', () => {
    const e = bySeq.get('2')!;
    expect(e.body).toBe('');
    expect(e.attributes['systemd.unit']).toBe('app.service');
  });

  it('carries a 1 MiB MESSAGE whole', () => {
    const e = bySeq.get('3')!;
    expect(e.body.length).toBe(BIG.length);
    expect(e.body).toBe(BIG);
  });

  it('replaces invalid UTF-8 in MESSAGE and flags log.invalid_utf8', () => {
    const e = bySeq.get('4')!;
    expect(e.body).toBe(INVALID.toString('utf8'));
    expect(e.body.startsWith('a\uFFFD')).toBe(true);
    expect(e.attributes['log.invalid_utf8']).toBe(true);
    expect(Buffer.from(String(e.attributes['journald.odd.base64']), 'base64')).toEqual(INVALID);
  });

  it('keeps multi-line and non-ASCII messages and maps every PRIORITY', () => {
    expect(bySeq.get('5')!.body).toBe('line one\nline two');
    expect([bySeq.get('5')!.severityText, bySeq.get('5')!.severityNumber]).toEqual(['ERR', 17]);
    expect([bySeq.get('6')!.severityText, bySeq.get('6')!.severityNumber]).toEqual(['EMERG', 21]);
    expect([bySeq.get('7')!.severityText, bySeq.get('7')!.severityNumber]).toEqual(['DEBUG', 5]);
    expect(bySeq.get('7')!.body).toBe('héllo ✓ 日本');
    expect(bySeq.get('6')!.attributes).toMatchObject({ 'journald.kernel_subsystem': 'pci', 'journald.my_field': 'v' });
  });
});
