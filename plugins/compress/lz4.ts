// LZ4: the frame format (what the lz4 tool and most libraries read and write) or a bare block with its
// size written first (the "size prepended" block of lz4_flex and python-lz4).
import { compressFrameSync, compressSync, decompressFrameSync, uncompressSync } from 'lz4-napi';
import { defineProcessor, z } from '../../core/plugin.js';
import { compressionFields, compressionProcessor, OutputLimitExceeded } from './compression-processor.js';
import { lz4Frames } from './lz4-frames.js';

/** Decompresses each frame in turn (the binding stops after the first). */
function decompressFrames(bytes: Buffer, maxOutputBytes: number): Buffer {
  const frames = lz4Frames(bytes, maxOutputBytes);
  if (frames.length === 1) return decompressFrameSync(frames[0]);
  return Buffer.concat(frames.map((frame) => decompressFrameSync(frame)));
}

/** Refuses a block whose size, written first (4 bytes little-endian), is above the limit. */
function checkBlockSize(bytes: Buffer, maxOutputBytes: number): void {
  if (bytes.length < 4) throw new Error('LZ4 block is shorter than its size prefix');
  if (bytes.readUInt32LE(0) > maxOutputBytes) throw new OutputLimitExceeded();
}

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
            decompress: decompressFrames,
          }
        : {
            format: 'an LZ4 block',
            compress: (bytes) => compressSync(bytes),
            decompress: (bytes, maxOutputBytes) => {
              checkBlockSize(bytes, maxOutputBytes);
              return uncompressSync(bytes);
            },
          },
      c,
    ),
});
