// LZ4: the frame format (what the lz4 tool and most libraries read and write) or a bare block with its
// size written first (the "size prepended" block of lz4_flex and python-lz4).
import { defineProcessor, importOptional, z } from '../../core/plugin.js';
import { compressionFields, compressionProcessor, OutputLimitExceeded } from './compression-processor.js';
import { lz4Frames } from './lz4-frames.js';

type Lz4 = typeof import('lz4-napi');

/** Decompresses each frame in turn (the binding stops after the first). */
function decompressFrames(lz4: Lz4, bytes: Buffer, maxOutputBytes: number): Buffer {
  const frames = lz4Frames(bytes, maxOutputBytes);
  if (frames.length === 1) return lz4.decompressFrameSync(frames[0]);
  return Buffer.concat(frames.map((frame) => lz4.decompressFrameSync(frame)));
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
  create: async (c) => {
    const lz4 = await importOptional<Lz4>('lz4-napi', 'the lz4 processor');
    return compressionProcessor(
      'lz4',
      c.format === 'frame'
        ? {
            format: 'LZ4 frame data',
            compress: (bytes) => lz4.compressFrameSync(bytes),
            decompress: (bytes, maxOutputBytes) => decompressFrames(lz4, bytes, maxOutputBytes),
          }
        : {
            format: 'an LZ4 block',
            compress: (bytes) => lz4.compressSync(bytes),
            decompress: (bytes, maxOutputBytes) => {
              checkBlockSize(bytes, maxOutputBytes);
              return lz4.uncompressSync(bytes);
            },
          },
      c,
    );
  },
});
