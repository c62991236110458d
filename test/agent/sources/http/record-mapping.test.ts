// How one received record becomes an event: body, time, severity, flattened attributes; nothing dropped.
import { describe, expect, it } from 'vitest';
import { epochParts, recordToEvent } from '../../../../agent/sources/http/decode.js';

const now: [number, number] = [1_700_000_000_000, 5];

describe('http_server record mapping', () => {
  it('event time from RFC 3339 with offsets and any fraction, or epoch numbers by magnitude', () => {
    const t = (v: unknown) => {
      const e = recordToEvent({ timestamp: v }, 's', now);
      return [e.timeMs, e.timeNs];
    };
    expect(t('2026-11-24T12:00:00+02:00')).toEqual([Date.parse('2026-11-24T10:00:00Z'), 0]);
    expect(t('2026-11-24T10:00:00.1Z')).toEqual([Date.parse('2026-11-24T10:00:00.100Z'), 0]);
    expect(t('2026-11-24T10:00:00.000000007Z')).toEqual([Date.parse('2026-11-24T10:00:00Z'), 7]);
    expect(t('2026-11-24T10:00:01.999999Z')).toEqual([Date.parse('2026-11-24T10:00:01.999Z'), 999000]);
    expect(t(1795939200)).toEqual([1795939200000, 0]);
    expect(t(1795939200123)).toEqual([1795939200123, 0]);
    expect(t(1795939200123456)).toEqual([1795939200123, 456000]);
    expect(t(1795939200123456789)).toEqual([1795939200123, expect.any(Number)]); // beyond double precision in ns
    expect(epochParts(-1)).toBeNull();
  });

  it('an unparsable time keeps the observed time and the original value as an attribute', () => {
    const e = recordToEvent({ message: 'm', time: 'yesterday-ish' }, 's', now);
    expect([e.timeMs, e.timeNs]).toEqual(now);
    expect(e.attributes.time).toBe('yesterday-ish');
  });

  it('body from message/log/body (non-strings as JSON), severity by name or OTel number, scalars as body', () => {
    expect(recordToEvent({ log: 'l', message: 'm' }, 's', now).body).toBe('m');
    const obj = recordToEvent({ body: { a: 1 } }, 's', now);
    expect(obj.body).toBe('{"a":1}');
    const sev = recordToEvent({ severity: 17, level: 'nonsense-level' }, 's', now);
    expect([sev.severityText, sev.severityNumber]).toEqual(['nonsense-level', 0]);
    const num = recordToEvent({ severity: 17 }, 's', now);
    expect([num.severityText, num.severityNumber]).toEqual(['ERROR', 17]);
    expect(recordToEvent('plain text line', 's', now).body).toBe('plain text line');
    expect(recordToEvent(42, 's', now).body).toBe('42');
  });

  it('attributes: nested objects flattened with dots, arrays as JSON, null skipped, known names renamed', () => {
    const e = recordToEvent({ message: 'x', a: { b: { c: true } }, tags: ['x', 'y'], gone: null, _SYSTEMD_UNIT: 'sshd.service' }, 'in', now);
    expect(e.attributes).toEqual({ 'flowlog.source': 'in', 'a.b.c': true, tags: '["x","y"]', 'systemd.unit': 'sshd.service' });
  });
  it('keeps record keys named like Object members (constructor, toString, __proto__) as they are', () => {
    const rec = JSON.parse('{"message":"m","constructor":"c","toString":"t","__proto__":"p","hasOwnProperty":1}');
    const e = recordToEvent(rec, 's');
    const own = Object.fromEntries(Object.entries(Object.getOwnPropertyDescriptors(e.attributes)).map(([k, d]) => [k, d.value]));
    const picked = Object.entries(own).filter(([k]) => ['constructor', 'toString', '__proto__', 'hasOwnProperty'].includes(k));
    expect(picked.sort()).toEqual([['__proto__', 'p'], ['constructor', 'c'], ['hasOwnProperty', 1], ['toString', 't']]);
    expect(Object.keys(own).filter((k) => k.includes('function') || k.includes('[object'))).toEqual([]);
  });
});
