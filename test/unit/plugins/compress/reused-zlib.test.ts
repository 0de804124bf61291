// One zlib state reused for many values must give each value exactly what a fresh `gzipSync`, `gunzipSync` (and
// their kin) give, so that no value's result depends on the values before it, bad data and the size limit included.
import { randomBytes } from 'node:crypto';
import { deflateRawSync, deflateSync, gunzipSync, gzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OutputLimitExceeded } from '../../../../plugins/compress/compression-processor.js';
import { ReusedZlib, type ZlibFormat } from '../../../../plugins/compress/reused-zlib.js';

const formats: Array<[ZlibFormat, typeof gzipSync, typeof gunzipSync]> = [
  ['gzip', gzipSync, gunzipSync],
  ['zlib', deflateSync, inflateSync],
  ['raw', deflateRawSync, inflateRawSync],
];

describe.each(formats)('%s', (format, compress, decompress) => {
  it('compresses each of many values to the same bytes as a fresh compression, and decompresses them back', () => {
    const deflater = new ReusedZlib(format, 'compress', 1);
    const inflater = new ReusedZlib(format, 'decompress');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 0, max: 9 }), (bytes, level) => {
        const compressed = deflater.run(bytes);
        expect(compressed).toEqual(compress(bytes, { level: 1 }));
        expect(new Uint8Array(inflater.run(compressed))).toEqual(bytes);
        const other = new ReusedZlib(format, 'compress', level);
        expect(other.run(bytes)).toEqual(compress(bytes, { level }));
        other.close();
      }),
      { numRuns: 200 },
    );
    deflater.close();
    inflater.close();
  });

  it('handles a value larger than one output chunk both ways', () => {
    const deflater = new ReusedZlib(format, 'compress', 1);
    const inflater = new ReusedZlib(format, 'decompress');
    const bytes = randomBytes(300 * 1024);
    const compressed = deflater.run(bytes);
    expect(decompress(compressed).equals(bytes)).toBe(true);
    expect(inflater.run(compressed).equals(bytes)).toBe(true);
    expect(inflater.run(deflater.run(Buffer.from('after'))).toString()).toBe('after');
  });

  it('fails on bad data with the error of a fresh decompression, and goes on with the next value', () => {
    const inflater = new ReusedZlib(format, 'decompress');
    const good = compress(Buffer.from('good'));
    const truncated = good.subarray(0, good.length - 3);
    const garbage = Buffer.from('not compressed at all');
    for (const bad of [truncated, garbage]) {
      const expected = (() => {
        try {
          decompress(bad);
        } catch (err) {
          return (err as Error).message;
        }
        return 'no error';
      })();
      if (expected === 'no error') expect(inflater.run(bad)).toEqual(decompress(bad));
      else expect(() => inflater.run(bad)).toThrow(expected);
      expect(inflater.run(good).toString()).toBe('good');
    }
  });

  it('stops at the output limit', () => {
    const inflater = new ReusedZlib(format, 'decompress');
    const bomb = compress(Buffer.alloc(1024 * 1024));
    expect(() => inflater.run(bomb, 1000)).toThrow(OutputLimitExceeded);
    expect(inflater.run(bomb, 1024 * 1024).length).toBe(1024 * 1024);
  });
});
