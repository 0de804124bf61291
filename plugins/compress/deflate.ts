// deflate (RFC 1950 zlib streams, or raw RFC 1951 data), as in HTTP Content-Encoding: deflate.
import { defineProcessor, z } from '../../core/plugin.js';
import { compressionFields, compressionProcessor } from './compression-processor.js';
import { ReusedZlib } from './reused-zlib.js';

export default defineProcessor({
  name: 'deflate',
  summary: 'Compress values with deflate, or decompress deflate data (with a limit on the output size).',
  config: z.object({
    ...compressionFields,
    level: z.number().int().min(0).max(9).default(1).describe('compress: 1 is fastest, 9 smallest, 0 stores.'),
    raw: z
      .boolean()
      .default(false)
      .describe('Raw deflate data without the zlib header and checksum (what some ZIP-like formats carry).'),
  }),
  create: (c) => {
    const zlib = new ReusedZlib(c.raw ? 'raw' : 'zlib', c.action, c.level);
    return compressionProcessor(
      'deflate',
      {
        format: c.raw ? 'raw deflate data' : 'zlib deflate data',
        compress: (bytes) => zlib.run(bytes),
        decompress: (bytes, maxOutputBytes) => zlib.run(bytes, maxOutputBytes),
        close: () => zlib.close(),
      },
      c,
    );
  },
});
