import { compress } from '@mongodb-js/zstd';
import { describe, expect, it } from 'vitest';
import { OutputLimitExceeded } from '../../../../plugins/compress/compression-processor.js';
import { checkZstdBound } from '../../../../plugins/compress/zstd-frame-bound.js';

const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

describe('checkZstdBound', () => {
  it('accepts real frames, several in a row and skippable frames between them', async () => {
    const frame = await compress(Buffer.from('hello '.repeat(1000)), 3);
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    expect(() => checkZstdBound(Buffer.concat([frame, skippable, frame]), 1024 * 1024)).not.toThrow();
  });

  it('refuses a frame whose declared content size is above the limit', () => {
    // Single segment, 4-byte content size of 1 GiB, then one empty raw block.
    const frame = Buffer.from([...MAGIC, 0xa0, 0x00, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00]);
    expect(() => checkZstdBound(frame, 1024 * 1024)).toThrow(OutputLimitExceeded);
  });

  it('refuses blocks whose sizes add up to more than the limit, and reports structure that is not zstd', () => {
    const rle = (last: number) => [0x02 | last, 0x00, 0x10, 0x61];
    const bomb = Buffer.from([...MAGIC, 0x00, 0x58, ...rle(0), ...rle(0), ...rle(1)]);
    expect(() => checkZstdBound(bomb, 200 * 1024)).toThrow(OutputLimitExceeded);
    expect(() => checkZstdBound(Buffer.from([...MAGIC, 0x00, 0x58, 0x07, 0x00, 0x00]), 1024)).toThrow(
      'zstd block has the reserved type',
    );
    expect(() => checkZstdBound(Buffer.from([...MAGIC, 0x00]), 1024)).toThrow('zstd data ends inside a frame');
    expect(() => checkZstdBound(Buffer.from('nope'), 1024)).toThrow('not a zstd frame');
  });
});
