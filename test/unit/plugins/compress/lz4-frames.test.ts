import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { OutputLimitExceeded } from '../../../../plugins/compress/compression-processor.js';
import { lz4Frames } from '../../../../plugins/compress/lz4-frames.js';

describe('lz4Frames', () => {
  it('finds frames one after another, leaving skippable frames out', () => {
    const a = compressFrameSync(Buffer.from('a'.repeat(5000)));
    const b = compressFrameSync(Buffer.from('b'));
    const skippable = Buffer.from([0x5f, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 9, 9]);
    const frames = lz4Frames(Buffer.concat([a, skippable, b]), 10_000);
    expect(frames).toEqual([a, b]);
    expect(frames.map((f) => decompressFrameSync(f).length)).toEqual([5000, 1]);
  });

  it('reports bytes after the last frame that are not a frame', () => {
    const a = compressFrameSync(Buffer.from('abc'));
    expect(() => lz4Frames(Buffer.concat([a, Buffer.from('xyz!')]), 1024)).toThrow('not an LZ4 frame');
  });

  it('refuses frames that may hold more than the limit', () => {
    const big = compressFrameSync(Buffer.alloc(8 * 1024 * 1024));
    expect(() => lz4Frames(big, 1024 * 1024)).toThrow(OutputLimitExceeded);
  });

  it('refuses a frame declaring a content size above the limit, and reports what is not a frame', () => {
    // FLG: version 01, content size present; BD: 64 KiB blocks; content size 1 GiB; header checksum; end mark.
    const frame = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x48, 0x40, 0, 0, 0, 0x40, 0, 0, 0, 0, 0x00, 0, 0, 0, 0]);
    expect(() => lz4Frames(frame, 1024)).toThrow(OutputLimitExceeded);
    expect(() => lz4Frames(Buffer.from('nope'), 1024)).toThrow('not an LZ4 frame');
  });
});
