// The top-level `spool:` section: defaults, byte-size strings, unknown keys rejected with file:line.
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../core/config/load.js';
import { spoolOptions } from '../../spool/config.js';

const base = 'sources: {}\nsinks: {}\n';

describe('spool config section', () => {
  it('applies defaults and accepts byte sizes with units', () => {
    const cfg = loadConfigText(`${base}spool:\n  max_bytes: 2GiB\n  when_full: drop_oldest\n  sync: normal\n`, 'agent.yaml');
    const o = spoolOptions(cfg.sections.spool, '/data');
    expect(o).toMatchObject({ dir: '/data', maxBytes: 2 * 1024 ** 3, whenFull: 'drop_oldest', sync: 'normal', batchMaxRecords: 8192, batchMaxMs: 200, minFreeBytes: 256 * 1024 ** 2 });
    expect(spoolOptions(undefined, '/d')).toMatchObject({ sync: 'full', whenFull: 'block', maxBytes: 1024 ** 3 });
  });

  it('rejects unknown keys and bad values, naming the line', () => {
    expect(() => loadConfigText(`${base}spool:\n  max_size: 10\n`, 'agent.yaml')).toThrow(/agent\.yaml:4.*max_size/s);
    expect(() => loadConfigText(`${base}spool:\n  when_full: explode\n`, 'agent.yaml')).toThrow(/agent\.yaml:4/);
    expect(() => loadConfigText(`${base}spool:\n  max_bytes: lots\n`, 'agent.yaml')).toThrow(/byte size/);
  });
});
