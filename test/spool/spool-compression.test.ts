// Batch blob codecs: lz4 is the default, the codec is recorded per batch, and brotli batches written by
// the previous version (brotli-only) still read back after an upgrade to the lz4 default.
import { join } from 'node:path';
import { brotliCompressSync, constants, crc32 } from 'node:zlib';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CODEC_BROTLI, CODEC_LZ4, CODEC_NONE, decodeBlob, decodeBlobAsync, encodeBatch, frameEntries } from '../../spool/blob.js';
import { spoolOptions } from '../../spool/config.js';
import { openSpool, readAll, recordsOf, seqEntry, tempDirsPerTest } from './helpers.js';

const dir = tempDirsPerTest();

function codecs(d: string): number[] {
  const db = new Database(join(d, 'spool.db'), { readonly: true });
  try {
    return (db.prepare('SELECT codec FROM batches ORDER BY id').all() as { codec: number }[]).map((r) => r.codec);
  } finally {
    db.close();
  }
}

const seqs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('spool batch compression', () => {
  it('defaults to lz4 (config section and Spool), and each codec round-trips', async () => {
    expect(spoolOptions(undefined, '/x').compression).toBe('lz4');
    expect(spoolOptions({ compression: 'brotli' }, '/x').compression).toBe('brotli');
    expect(() => spoolOptions({ compression: 'zstd' }, '/x')).toThrow();

    const d = dir();
    const { spool } = openSpool({ dir: d, batchMaxRecords: 100 });
    await spool.append([seqEntry('a', 1, 100)], []);
    expect(codecs(d)).toEqual([CODEC_LZ4]);
    expect(recordsOf(readAll(spool)).map((r) => r.seq)).toEqual(seqs(1, 100));
    await spool.close();

    for (const [name, code] of [['lz4', CODEC_LZ4], ['brotli', CODEC_BROTLI], ['none', CODEC_NONE]] as const) {
      const entries = [seqEntry('a', 1, 50, 150, 'g1'), seqEntry('b', 1, 20, 10, 'g2')];
      const enc = await encodeBatch(entries, name);
      expect(enc.codec).toBe(code);
      expect(enc.records).toBe(70);
      const raw = frameEntries(entries);
      if (name !== 'none') expect(enc.blob.length).toBeLessThan(raw.length);
      for (const got of [decodeBlob(enc.blob, enc.codec, enc.crc32), await decodeBlobAsync(enc.blob, enc.codec, enc.crc32)]) {
        expect(got.map((e) => [e.group, e.count, e.payload.toString()])).toEqual(entries.map((e) => [e.group, e.count, e.payload.toString()]));
      }
    }
  });

  it('keeps the CRC check for lz4 blobs', async () => {
    const enc = await encodeBatch([seqEntry('a', 1, 50)], 'lz4');
    const bad = Buffer.from(enc.blob);
    bad[bad.length >> 1]! ^= 0xff;
    expect(() => decodeBlob(bad, enc.codec, enc.crc32)).toThrow(/checksum/);
    await expect(decodeBlobAsync(bad, enc.codec, enc.crc32)).rejects.toThrow(/checksum/);
  });

  it('reads brotli batches written by the previous version after upgrading to the lz4 default', async () => {
    const d = dir();
    // The previous version's write path: brotli quality 1, codec 1. Written here through the spool
    // with compression=brotli, plus one row built byte-for-byte the old way (zlib directly).
    const { spool: old } = openSpool({ dir: d, batchMaxRecords: 100, compression: 'brotli' });
    await old.append([seqEntry('a', 1, 100)], [{ source: 'a', key: 'k', value: '100' }]);
    await old.append([seqEntry('a', 101, 200)], [{ source: 'a', key: 'k', value: '200' }]);
    await old.close();
    const legacy = brotliCompressSync(frameEntries([seqEntry('a', 201, 250)]), {
      params: { [constants.BROTLI_PARAM_QUALITY]: 1, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT },
    });
    const db = new Database(join(d, 'spool.db'));
    db.prepare('INSERT INTO batches (created_ms, records, bytes, blob_bytes, codec, crc32, blob) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      Date.now(), 50, seqEntry('a', 201, 250).payload.length, legacy.length, CODEC_BROTLI, crc32(legacy) >>> 0, legacy,
    );
    db.close();
    expect(codecs(d)).toEqual([CODEC_BROTLI, CODEC_BROTLI, CODEC_BROTLI]);

    // Upgrade: reopen with the new defaults (no compression option → lz4) and keep appending.
    const { spool } = openSpool({ dir: d, batchMaxRecords: 100 });
    expect(spool.checkpoints('a')).toEqual(new Map([['k', '200']]));
    await spool.append([seqEntry('a', 251, 300)], []);
    expect(codecs(d)).toEqual([CODEC_BROTLI, CODEC_BROTLI, CODEC_BROTLI, CODEC_LZ4]);

    expect(recordsOf(readAll(spool)).map((r) => r.seq)).toEqual(seqs(1, 300));
    const drained: number[] = [];
    for (let after = 0; ; ) {
      const page = await spool.readAsync('default', 2, after);
      if (!page.length) break;
      drained.push(...recordsOf(page).map((r) => r.seq));
      after = page[page.length - 1]!.id;
      spool.ack('default', page.map((b) => b.id));
    }
    expect(drained).toEqual(seqs(1, 300));
    expect(codecs(d)).toEqual([]);
    await spool.close();
  });
});
