// Kafka compression codecs for kafkajs: gzip is built in; LZ4 (frame format, as Kafka expects) comes
// from lz4-napi and Snappy from snappy (napi-rs), both shipped as prebuilt binaries inside npm
// packages. Compression runs on libuv's pool, off the event loop.
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';

// kafkajs is CommonJS: take its values from the default export (named imports fail under plain Node ESM)
const { CompressionCodecs, CompressionTypes } = kafkajs;
type CompressionTypes = kafkajs.CompressionTypes;

const require = createRequire(import.meta.url);

// snappy-java's stream framing ("xerial"), which Java producers use; raw blocks are what we write.
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

let registered = false;

export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  const lz4 = require('lz4-napi') as {
    compressFrame(b: Buffer): Promise<Buffer>;
    decompressFrame(b: Buffer): Promise<Buffer>;
  };
  const snappy = require('snappy') as {
    compress(b: Buffer): Promise<Buffer>;
    uncompress(b: Buffer, o?: { asBuffer: true }): Promise<Buffer | string>;
  };
  const codecs = CompressionCodecs as unknown as Record<number, () => unknown>;
  codecs[CompressionTypes.LZ4] = () => ({
    compress: async (encoder: { buffer: Buffer }) => lz4.compressFrame(encoder.buffer),
    decompress: async (buffer: Buffer) => lz4.decompressFrame(buffer),
  });
  codecs[CompressionTypes.Snappy] = () => ({
    compress: async (encoder: { buffer: Buffer }) => snappy.compress(encoder.buffer),
    decompress: async (buffer: Buffer) => {
      if (buffer.length >= 16 && buffer.subarray(0, 8).equals(XERIAL_MAGIC)) {
        const parts: Buffer[] = [];
        let pos = 16;
        while (pos + 4 <= buffer.length) {
          const len = buffer.readUInt32BE(pos);
          pos += 4;
          parts.push((await snappy.uncompress(buffer.subarray(pos, pos + len), { asBuffer: true })) as Buffer);
          pos += len;
        }
        return Buffer.concat(parts);
      }
      return (await snappy.uncompress(buffer, { asBuffer: true })) as Buffer;
    },
  });
}

export function compressionType(name: 'none' | 'gzip' | 'lz4' | 'snappy'): CompressionTypes {
  switch (name) {
    case 'gzip':
      return CompressionTypes.GZIP;
    case 'lz4':
      return CompressionTypes.LZ4;
    case 'snappy':
      return CompressionTypes.Snappy;
    default:
      return CompressionTypes.None;
  }
}
