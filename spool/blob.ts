// The on-disk form of one batch: its entries framed into one buffer, compressed with the configured
// codec (default lz4 block format via lz4-napi, fast in both directions; brotli quality 1 is smaller
// but bounds throughput; none), guarded by a CRC-32 of the blob so a garbled page is detected instead
// of decoded into garbage. The codec of every batch is stored in its row (`batches.codec`), so a
// spool holds batches of several codecs and each one is decoded with the codec it was written with
// (brotli batches written before lz4 existed still read after an upgrade).
//
// Framing (before compression), all integers u32 little-endian:
//   entryCount, then per entry: groupLen, group (UTF-8), count, payloadLen, payload
import { brotliCompress, brotliDecompress, brotliDecompressSync, constants, crc32 } from 'node:zlib';
import { compress as lz4Compress, uncompress as lz4Uncompress, uncompressSync as lz4UncompressSync } from 'lz4-napi';
import type { SpoolCompression, SpoolEntry } from './types.js';

export const CODEC_NONE = 0;
export const CODEC_BROTLI = 1;
export const CODEC_LZ4 = 2;

const CODEC_OF: Record<SpoolCompression, number> = { none: CODEC_NONE, brotli: CODEC_BROTLI, lz4: CODEC_LZ4 };

export interface EncodedBatch {
  blob: Buffer;
  codec: number;
  crc32: number;
  records: number;
  /** Uncompressed payload bytes (sum of entry payloads). */
  bytes: number;
}

export function frameEntries(entries: SpoolEntry[]): Buffer {
  let size = 4;
  const groups: Buffer[] = [];
  for (const e of entries) {
    const g = Buffer.from(e.group, 'utf8');
    groups.push(g);
    size += 12 + g.length + e.payload.length;
  }
  const out = Buffer.allocUnsafe(size);
  let off = out.writeUInt32LE(entries.length, 0);
  entries.forEach((e, i) => {
    const g = groups[i]!;
    off = out.writeUInt32LE(g.length, off);
    off += g.copy(out, off);
    off = out.writeUInt32LE(e.count, off);
    off = out.writeUInt32LE(e.payload.length, off);
    off += e.payload.copy(out, off);
  });
  return out;
}

export function unframeEntries(buf: Buffer): SpoolEntry[] {
  const fail = () => new Error('batch framing is damaged');
  if (buf.length < 4) throw fail();
  const n = buf.readUInt32LE(0);
  let off = 4;
  const entries: SpoolEntry[] = [];
  for (let i = 0; i < n; i++) {
    if (off + 4 > buf.length) throw fail();
    const gl = buf.readUInt32LE(off);
    off += 4;
    if (off + gl + 8 > buf.length) throw fail();
    const group = buf.toString('utf8', off, off + gl);
    off += gl;
    const count = buf.readUInt32LE(off);
    const pl = buf.readUInt32LE(off + 4);
    off += 8;
    if (off + pl > buf.length) throw fail();
    entries.push({ group, count, payload: buf.subarray(off, off + pl) });
    off += pl;
  }
  if (off !== buf.length) throw fail();
  return entries;
}

function brotli(buf: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    brotliCompress(
      buf,
      {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: 1,
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          [constants.BROTLI_PARAM_SIZE_HINT]: buf.length,
        },
      },
      (err, out) => (err ? reject(err) : resolve(out)),
    ),
  );
}

/** Frames and compresses a batch (compression runs on the libuv pool, off the event loop). */
export async function encodeBatch(entries: SpoolEntry[], compression: SpoolCompression = 'lz4'): Promise<EncodedBatch> {
  let records = 0;
  let bytes = 0;
  for (const e of entries) {
    records += e.count;
    bytes += e.payload.length;
  }
  const codec = CODEC_OF[compression];
  if (codec === undefined) throw new Error(`unknown spool compression ${String(compression)}`);
  const framed = frameEntries(entries);
  const blob = codec === CODEC_BROTLI ? await brotli(framed) : codec === CODEC_LZ4 ? await LZ4_COMPRESS(framed) : framed;
  return { blob, codec, crc32: crc32(blob) >>> 0, records, bytes };
}

/** Checks the CRC and decodes a stored blob; throws on any damage. */
export function decodeBlob(blob: Buffer, codec: number, crc: number): SpoolEntry[] {
  if ((crc32(blob) >>> 0) !== (crc >>> 0)) throw new Error('batch checksum mismatch');
  if (codec === CODEC_NONE) return unframeEntries(blob);
  if (codec === CODEC_BROTLI) return unframeEntries(brotliDecompressSync(blob));
  if (codec === CODEC_LZ4) return unframeEntries(lz4UncompressSync(blob));
  throw new Error(`unknown batch codec ${codec}`);
}

/** decodeBlob with the decompression on the libuv pool (several batches decode in parallel). */
export async function decodeBlobAsync(blob: Buffer, codec: number, crc: number): Promise<SpoolEntry[]> {
  if ((crc32(blob) >>> 0) !== (crc >>> 0)) throw new Error('batch checksum mismatch');
  if (codec === CODEC_NONE) return unframeEntries(blob);
  if (codec === CODEC_LZ4) return unframeEntries(await LZ4_UNCOMPRESS(blob));
  if (codec !== CODEC_BROTLI) throw new Error(`unknown batch codec ${codec}`);
  const raw = await new Promise<Buffer>((resolve, reject) => brotliDecompress(blob, (err, out) => (err ? reject(err) : resolve(out))));
  return unframeEntries(raw);
}

// lz4 runs through lz4-napi's async variants (libuv pool, off the event loop): measured faster than the
// sync ones in bench/spool.ts because compression overlaps the SQLite commit (docs/spool.md).
const LZ4_COMPRESS = (b: Buffer): Promise<Buffer> => lz4Compress(b);
const LZ4_UNCOMPRESS = (b: Buffer): Promise<Buffer> => lz4Uncompress(b);
