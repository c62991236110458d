// Several aggregator processes sharing one archive start at the same moment on an empty directory:
// each opens (and would create) the catalog. Every one must come up; none may fail on a migration the
// other already ran (CI saw `SQLITE_ERROR: table files already exists` stop an aggregator).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../../../aggregator/sinks/archive/catalog.js';
import { ROOT } from '../../helpers.js';

describe('archive catalog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlog-catalog-open-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is created by several processes at once without any of them failing', async () => {
    const catalogUrl = pathToFileURL(join(ROOT, 'aggregator', 'sinks', 'archive', 'catalog.ts')).href;
    for (let round = 0; round < 3; round++) {
      const file = join(dir, `r${round}`, 'catalog.sqlite');
      // each child waits for the same wall-clock instant, then opens the catalog
      const at = Date.now() + 1500;
      const code = `const { Catalog } = await import(${JSON.stringify(catalogUrl)});
        while (Date.now() < ${at}) {}
        new Catalog(${JSON.stringify(file)}).close();`;
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          new Promise<{ code: number | null; err: string }>((resolve) => {
            const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
            let err = '';
            c.stderr!.on('data', (d) => (err += d));
            c.on('close', (code) => resolve({ code, err })); // 'close': stderr is read to its end
          }),
        ),
      );
      expect(results.map((r) => r.err.trim())).toEqual(Array(6).fill(''));
      expect(results.map((r) => r.code)).toEqual(Array(6).fill(0));
      const c = new Catalog(file);
      expect(c.db.pragma('user_version', { simple: true })).toBeGreaterThan(0);
      c.close();
    }
  }, 60_000);
});
