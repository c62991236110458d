// Maps the fields of one journal entry onto a LogEvent (docs/sources-journald.md, "Field mapping").
// Parsers call field() for every field of an entry, in order, then end(); the builder keeps no
// reference to the value buffers it is given (they may be views into a reused read buffer).
import { Attr, nowParts, severityFromSyslog, type Attributes, type LogEvent } from '../../../core/event.js';
import { decodeUtf8 } from '../../../core/utf8.js';

/** A field value: text (valid, printable UTF-8) or raw bytes (anything else). */
export type FieldValue = string | Buffer;

/** What parsers feed. */
export interface EntryReceiver {
  field(name: string, value: FieldValue): void;
  /** The entry is complete. */
  end(): void;
}

export interface MappingOptions {
  /** Source name, set as `flowlog.source`. */
  source: string;
  lowercaseFields: boolean;
  stripUnderscores: boolean;
}

/** Fields mapped to fixed places (not repeated under journald.*). */
const FIXED = new Map<string, string | null>([
  ['MESSAGE', null],
  ['PRIORITY', null],
  ['__REALTIME_TIMESTAMP', null],
  ['_SYSTEMD_UNIT', Attr.systemdUnit],
  ['_HOSTNAME', Attr.hostName],
  ['_PID', Attr.processPid],
  ['_COMM', Attr.processCommand],
  ['_BOOT_ID', Attr.bootId],
  ['SYSLOG_IDENTIFIER', Attr.syslogIdentifier],
]);

/** Suffix of the attribute that holds a field whose bytes are not valid UTF-8 (as base64). */
export const BASE64_SUFFIX = '.base64';

export interface MappedEntry {
  event: LogEvent;
  cursor: string;
  /** Raw values used by the source's in-process filters. */
  unit: string;
  transport: string;
}

/** What a field name means, looked up once per name (one Map lookup per field on the hot path). */
interface FieldInfo {
  /** The attribute key, or '' for MESSAGE / PRIORITY / __REALTIME_TIMESTAMP (mapped to the event itself). */
  readonly key: string;
  /** Whether the field is one of the fixed mappings (first value wins) or kept under journald.*. */
  readonly fixed: boolean;
  /** The number of the last entry that set this key: a second value in the same entry is a repeat. */
  seenIn: number;
}

export class EntryBuilder implements EntryReceiver {
  private readonly infos = new Map<string, FieldInfo>();
  /** Entries started so far; FieldInfo.seenIn compares against it. */
  private entryNo = 1;
  private attrs: Attributes = {};
  /** Attribute keys set more than once in this entry, with all their values. */
  private repeated: Map<string, string[]> | null = null;
  private body = '';
  private hasBody = false;
  private invalidBody = false;
  private priority = -1;
  private realtimeUs = -1;
  private cursor = '';
  private unit = '';
  private transport = '';
  private readonly sourceName: string;

  constructor(
    private readonly opts: MappingOptions,
    /** Called once per complete entry. */
    private readonly onEntry: (e: MappedEntry) => void,
  ) {
    this.sourceName = opts.source;
  }

  private infoOf(field: string): FieldInfo {
    let info = this.infos.get(field);
    if (info === undefined) {
      const fixed = FIXED.get(field);
      if (fixed !== undefined) info = { key: fixed ?? '', fixed: true, seenIn: 0 };
      else {
        let s = field;
        if (this.opts.stripUnderscores) {
          let i = 0;
          while (i < s.length - 1 && s.charCodeAt(i) === 95) i++;
          s = s.slice(i);
        }
        if (this.opts.lowercaseFields) s = s.toLowerCase();
        // two names that meet after lowercasing/stripping share one FieldInfo, so they count as repeats
        const key = 'journald.' + s;
        for (const other of this.infos.values()) if (!other.fixed && other.key === key) info = other;
        info ??= { key, fixed: false, seenIn: 0 };
      }
      this.infos.set(field, info);
    }
    return info;
  }

  field(name: string, value: FieldValue): void {
    const info = this.infoOf(name);
    const first = info.seenIn !== this.entryNo;
    info.seenIn = this.entryNo;
    if (info.fixed) {
      if (!first) return; // first value wins for mapped fields
      const key = info.key;
      if (key !== '') {
        const text = typeof value === 'string' ? value : decodeUtf8(value).text;
        if (key === Attr.processPid) {
          const pid = Number(text);
          this.attrs[key] = Number.isSafeInteger(pid) ? pid : text;
        } else {
          this.attrs[key] = text;
          if (key === Attr.systemdUnit) this.unit = text;
        }
      } else if (name === 'MESSAGE') {
        this.hasBody = true;
        if (typeof value === 'string') this.body = value;
        else {
          const d = decodeUtf8(value);
          this.body = d.text;
          this.invalidBody = d.invalid;
        }
      } else if (name === 'PRIORITY') {
        const t = typeof value === 'string' ? value : value.toString('latin1');
        if (t.length === 1) this.priority = t.charCodeAt(0) - 48;
      } else {
        const t = typeof value === 'string' ? value : value.toString('latin1');
        const us = Number(t);
        if (Number.isSafeInteger(us) && us >= 0) this.realtimeUs = us;
      }
      return;
    }
    if (name === '__CURSOR') this.cursor = typeof value === 'string' ? value : value.toString('latin1');
    else if (name === '_TRANSPORT') this.transport = typeof value === 'string' ? value : value.toString('latin1');
    let key = info.key;
    let text: string;
    if (typeof value === 'string') text = value;
    else {
      const d = decodeUtf8(value);
      if (d.invalid) {
        key += BASE64_SUFFIX;
        text = value.toString('base64');
      } else text = d.text;
    }
    if (first) {
      this.attrs[key] = text;
      return;
    }
    const prev = this.attrs[key];
    if (prev === undefined) {
      // the earlier value went to the `.base64` key (or this one does): both keys are kept
      this.attrs[key] = text;
      return;
    }
    // A field that occurs several times (or two names that meet after lowercasing/stripping):
    // every value is kept, as a JSON array in entry order.
    this.repeated ??= new Map();
    let all = this.repeated.get(key);
    if (!all) this.repeated.set(key, (all = [prev as string]));
    all.push(text);
  }

  /** Forgets a partial entry (the stream that carried it ended mid-entry). */
  discard(): void {
    this.entryNo++;
    this.attrs = {};
    this.repeated = null;
    this.resetScalars();
  }

  private resetScalars(): void {
    this.body = '';
    this.hasBody = false;
    this.invalidBody = false;
    this.priority = -1;
    this.realtimeUs = -1;
    this.cursor = '';
    this.unit = '';
    this.transport = '';
  }

  end(): void {
    const attrs = this.attrs;
    if (this.repeated) {
      for (const [k, vs] of this.repeated) attrs[k] = JSON.stringify(vs);
      this.repeated = null;
    }
    attrs[Attr.source] = this.sourceName;
    if (this.invalidBody) attrs[Attr.invalidUtf8] = true;
    const [oms, ons] = nowParts();
    let ms = oms;
    let ns = ons;
    if (this.realtimeUs >= 0) {
      ms = Math.floor(this.realtimeUs / 1000);
      ns = (this.realtimeUs - ms * 1000) * 1000;
    }
    let sevText = '';
    let sevNum = 0;
    if (this.priority >= 0 && this.priority <= 7) [sevText, sevNum] = severityFromSyslog(this.priority);
    const event: LogEvent = {
      timeMs: ms,
      timeNs: ns,
      observedMs: oms,
      observedNs: ons,
      severityText: sevText,
      severityNumber: sevNum,
      body: this.body,
      attributes: attrs,
    };
    const entry: MappedEntry = { event, cursor: this.cursor, unit: this.unit, transport: this.transport };
    this.attrs = {};
    this.entryNo++;
    this.resetScalars();
    this.onEntry(entry);
  }
}
