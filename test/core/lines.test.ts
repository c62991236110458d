import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../core/lines.js';

const text = (ls: { bytes: Buffer; truncated: boolean }[]) => ls.map((l) => [l.bytes.toString(), l.truncated]);

describe('LineSplitter', () => {
  it('joins lines split across chunks and strips CR', () => {
    const s = new LineSplitter(1024);
    expect(text(s.push(Buffer.from('one\r\ntw')))).toEqual([['one', false]]);
    expect(text(s.push(Buffer.from('o\nthree')))).toEqual([['two', false]]);
    expect(s.buffered).toBe(5);
    expect(text(s.flush())).toEqual([['three', false]]);
  });

  it('cuts lines longer than the cap into flagged pieces with bounded buffering', () => {
    const s = new LineSplitter(4);
    const out = s.push(Buffer.from('abcdefghij'));
    expect(text(out)).toEqual([
      ['abcd', true],
      ['efgh', true],
    ]);
    expect(s.buffered).toBeLessThan(4);
    expect(text(s.push(Buffer.from('k\nnext\n')))).toEqual([
      ['ijk', true],
      ['next', false],
    ]);
  });

  it('keeps empty lines', () => {
    expect(text(new LineSplitter(8).push(Buffer.from('\n\nx\n')))).toEqual([
      ['', false],
      ['', false],
      ['x', false],
    ]);
  });
});
