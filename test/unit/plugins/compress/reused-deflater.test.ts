// One zlib state reused for many values must give each value exactly the bytes a fresh `gzipSync` (and its
// kin) gives, so that what a reader decompresses never depends on what was compressed before it.
import { randomBytes } from 'node:crypto';
import { deflateRawSync, deflateSync, gunzipSync, gzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DeflateFormat, ReusedDeflater } from '../../../../plugins/compress/reused-deflater.js';

const formats: Array<[DeflateFormat, typeof gzipSync, typeof gunzipSync]> = [
  ['gzip', gzipSync, gunzipSync],
  ['zlib', deflateSync, inflateSync],
  ['raw', deflateRawSync, inflateRawSync],
];

describe.each(formats)('%s', (format, once, inflate) => {
  it('gives each of many values the same bytes as a fresh compression, which decompress to the value', () => {
    const deflater = new ReusedDeflater(format, 1);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 0, max: 9 }), (bytes, level) => {
        const compressed = deflater.compress(bytes);
        expect(compressed).toEqual(once(bytes, { level: 1 }));
        expect(new Uint8Array(inflate(compressed))).toEqual(bytes);
        const other = new ReusedDeflater(format, level);
        expect(other.compress(bytes)).toEqual(once(bytes, { level }));
        other.close();
      }),
      { numRuns: 200 },
    );
    deflater.close();
  });

  it('compresses a value whose output is larger than one output chunk', () => {
    const deflater = new ReusedDeflater(format, 1);
    const bytes = randomBytes(300 * 1024);
    expect(inflate(deflater.compress(bytes)).equals(bytes)).toBe(true);
    expect(inflate(deflater.compress(Buffer.from('after'))).toString()).toBe('after');
    deflater.close();
  });
});
