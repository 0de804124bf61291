// Snappy, raw format (one block starting with its uncompressed length as a varint), as used by Kafka
// record batches, Parquet and LevelDB.
import { defineProcessor, importOptional, z } from '../../core/plugin.js';
import { compressionFields, compressionProcessor, OutputLimitExceeded } from './compression-processor.js';

/** The uncompressed length a Snappy block declares in its first bytes. */
function declaredLength(bytes: Buffer): number {
  let length = 0;
  for (let i = 0; i < 5 && i < bytes.length; i++) {
    length += (bytes[i] & 0x7f) * 2 ** (7 * i);
    if ((bytes[i] & 0x80) === 0) return length;
  }
  throw new Error('Snappy length prefix is truncated or too long');
}

export default defineProcessor({
  name: 'snappy',
  summary: 'Compress values with Snappy, or decompress Snappy data (with a limit on the output size).',
  config: z.object(compressionFields),
  create: async (c) => {
    const snappy = await importOptional<typeof import('snappy')>('snappy', 'the snappy processor');
    return compressionProcessor(
      'snappy',
      {
        format: 'Snappy data',
        compress: (bytes) => snappy.compressSync(bytes),
        decompress: (bytes, maxOutputBytes) => {
          if (declaredLength(bytes) > maxOutputBytes) throw new OutputLimitExceeded();
          return snappy.uncompressSync(bytes, { asBuffer: true }) as Buffer;
        },
      },
      c,
    );
  },
});
