// gzip (RFC 1952), the format of .gz files and of HTTP Content-Encoding: gzip.
import { defineProcessor, z } from '../../core/plugin.js';
import { compressionFields, compressionProcessor } from './compression-processor.js';
import { ReusedZlib } from './reused-zlib.js';

export default defineProcessor({
  name: 'gzip',
  summary: 'Compress values with gzip, or decompress gzip data (with a limit on the output size).',
  config: z.object({
    ...compressionFields,
    level: z
      .number()
      .int()
      .min(0)
      .max(9)
      .default(1)
      .describe('compress: 1 is fastest (about 3× faster than 6 for a little less compression), 9 smallest, 0 stores.'),
  }),
  create: (c) => {
    const zlib = new ReusedZlib('gzip', c.action, c.level);
    return compressionProcessor(
      'gzip',
      {
        format: 'gzip data',
        compress: (bytes) => zlib.run(bytes),
        decompress: (bytes, maxOutputBytes) => zlib.run(bytes, maxOutputBytes),
        close: () => zlib.close(),
      },
      c,
    );
  },
});
