// Zstandard (RFC 8878). The binding compresses on libuv's thread pool, so a batch runs concurrently.
import { defineProcessor, importOptional, z } from '../../core/plugin.js';
import { compressionFields, compressionProcessor } from './compression-processor.js';
import { checkZstdBound } from './zstd-frame-bound.js';

export default defineProcessor({
  name: 'zstd',
  summary: 'Compress values with Zstandard, or decompress Zstandard data (with a limit on the output size).',
  config: z.object({
    ...compressionFields,
    level: z
      .number()
      .int()
      .min(1)
      .max(22)
      .default(3)
      .describe('compress: 1 is fastest, 3 is the usual balance, 19–22 are smallest and slow.'),
  }),
  create: async (c) => {
    const zstd = await importOptional<typeof import('@mongodb-js/zstd')>('@mongodb-js/zstd', 'the zstd processor');
    return compressionProcessor(
      'zstd',
      {
        format: 'Zstandard data',
        async: true,
        compress: (bytes) => zstd.compress(bytes, c.level),
        decompress: (bytes, maxOutputBytes) => {
          checkZstdBound(bytes, maxOutputBytes);
          return zstd.decompress(bytes);
        },
      },
      c,
    );
  },
});
