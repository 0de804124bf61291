// LZ4: the frame format (what the lz4 tool and most libraries read and write) or a bare block with its
// size written first (the "size prepended" block of lz4_flex and python-lz4).
import { compressFrameSync, compressSync, decompressFrameSync, uncompressSync } from 'lz4-napi';
import { defineProcessor, z } from '../../core/plugin.js';
import { compressionFields, compressionProcessor } from './compression-processor.js';
import { checkLz4BlockBound, checkLz4FrameBound } from './lz4-frame-bound.js';

export default defineProcessor({
  name: 'lz4',
  summary: 'Compress values with LZ4, or decompress LZ4 data (with a limit on the output size).',
  config: z.object({
    ...compressionFields,
    format: z
      .enum(['frame', 'block'])
      .default('frame')
      .describe('frame: the LZ4 frame format (.lz4 files); block: one block with its size written first (4 bytes LE).'),
  }),
  create: (c) =>
    compressionProcessor(
      'lz4',
      c.format === 'frame'
        ? {
            format: 'LZ4 frame data',
            compress: (bytes) => compressFrameSync(bytes),
            decompress: (bytes, maxOutputBytes) => {
              checkLz4FrameBound(bytes, maxOutputBytes);
              return decompressFrameSync(bytes);
            },
          }
        : {
            format: 'an LZ4 block',
            compress: (bytes) => compressSync(bytes),
            decompress: (bytes, maxOutputBytes) => {
              checkLz4BlockBound(bytes, maxOutputBytes);
              return uncompressSync(bytes);
            },
          },
      c,
    ),
});
