// Brotli (RFC 7932). Node's default quality, 11, runs near 1 MB/s: far too slow for a stream, hence 4.
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { defineProcessor, z } from '../../core/plugin.js';
import { compressionFields, compressionProcessor } from './compression-processor.js';

export default defineProcessor({
  name: 'brotli',
  summary: 'Compress values with Brotli, or decompress Brotli data (with a limit on the output size).',
  config: z.object({
    ...compressionFields,
    level: z
      .number()
      .int()
      .min(0)
      .max(11)
      .default(4)
      .describe(
        'compress: Brotli quality; 4 suits streaming (hundreds of MB/s), 11 is smallest and about 200× slower.',
      ),
  }),
  create: (c) =>
    compressionProcessor(
      'brotli',
      {
        format: 'Brotli data',
        compress: (bytes) =>
          brotliCompressSync(bytes, {
            params: { [constants.BROTLI_PARAM_QUALITY]: c.level, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength },
          }),
        decompress: (bytes, maxOutputLength) => brotliDecompressSync(bytes, { maxOutputLength }),
      },
      c,
    ),
});
