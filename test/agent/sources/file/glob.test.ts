import { describe, expect, it } from 'vitest';
import { compileGlob } from '../../../../agent/sources/file/glob.js';

const m = (pattern: string, path: string) => compileGlob(pattern).re.test(path);

describe('glob patterns', () => {
  it('* and ? stay within a segment; ** spans directories', () => {
    expect(m('/var/log/*.log', '/var/log/a.log')).toBe(true);
    expect(m('/var/log/*.log', '/var/log/x/a.log')).toBe(false);
    expect(m('/var/log/?.log', '/var/log/ab.log')).toBe(false);
    expect(m('/var/log/**/*.log', '/var/log/a.log')).toBe(true);
    expect(m('/var/log/**/*.log', '/var/log/x/y/a.log')).toBe(true);
    expect(m('/var/log/**', '/var/log/x/y')).toBe(true);
  });

  it('classes, negated classes, alternatives and literal regex characters', () => {
    expect(m('/l/app[0-9].log', '/l/app7.log')).toBe(true);
    expect(m('/l/app[!0-9].log', '/l/app7.log')).toBe(false);
    expect(m('/l/{api,web}/*.log', '/l/web/x.log')).toBe(true);
    expect(m('/l/{api,web}/*.log', '/l/db/x.log')).toBe(false);
    expect(m('/l/a+b(1).log', '/l/a+b(1).log')).toBe(true);
    expect(m('/l/a.log', '/l/aXlog')).toBe(false);
  });

  it('computes the walk base and depth', () => {
    expect(compileGlob('/var/log/pods/*/*/*.log')).toMatchObject({ base: '/var/log/pods', depth: 3 });
    expect(compileGlob('/var/log/**/*.log')).toMatchObject({ base: '/var/log', depth: Infinity });
    expect(compileGlob('/var/log/app.log')).toMatchObject({ base: '/var/log', depth: 1 });
  });
});
