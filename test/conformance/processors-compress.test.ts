// Every compression processor, per event and per batch, in both directions, against the processor
// conformance suite. Decompression is also fed truncated data and small bombs (against a 4 KiB limit).
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { compress as zstdCompress } from '@mongodb-js/zstd';
import fc from 'fast-check';
import { compressFrameSync, compressSync as lz4BlockCompress } from 'lz4-napi';
import { compressSync as snappyCompress } from 'snappy';
import type { ProcessorPlugin } from '../../core/plugin.js';
import brotli from '../../plugins/compress/brotli.js';
import deflate from '../../plugins/compress/deflate.js';
import gzip from '../../plugins/compress/gzip.js';
import lz4 from '../../plugins/compress/lz4.js';
import snappy from '../../plugins/compress/snappy.js';
import zstd from '../../plugins/compress/zstd.js';
import { bytesArbitrary, eventArbitrary } from './event-arbitrary.js';
import { describeProcessorConformance } from './processor.js';

interface Case {
  plugin: ProcessorPlugin;
  /** Extra config (format options). */
  options?: Record<string, unknown>;
  /** An independent compressor (the library itself), to make decompressor input. */
  pack: (bytes: Uint8Array) => Uint8Array | Promise<Uint8Array>;
}

const cases: Case[] = [
  { plugin: gzip, pack: (b) => gzipSync(b) },
  { plugin: deflate, pack: (b) => deflateSync(b) },
  { plugin: deflate, options: { raw: true }, pack: (b) => deflateRawSync(b) },
  { plugin: brotli, pack: (b) => brotliCompressSync(b) },
  { plugin: zstd, pack: (b) => zstdCompress(Buffer.from(b), 3) },
  { plugin: lz4, pack: (b) => compressFrameSync(Buffer.from(b)) },
  { plugin: lz4, options: { format: 'block' }, pack: (b) => lz4BlockCompress(Buffer.from(b)) },
  { plugin: snappy, pack: (b) => snappyCompress(b) },
];

const LIMIT = 4096;

// fast-check arbitraries are synchronous, so async compressors are run once up front on a pool of inputs.
async function packedPool(pack: Case['pack'], inputs: Uint8Array[]): Promise<Uint8Array[]> {
  return Promise.all(inputs.map(async (b) => new Uint8Array(await pack(b))));
}
const samples = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 512 }), { numRuns: 300, seed: 7 });
const bombs = fc
  .sample(fc.integer({ min: LIMIT + 1, max: 64 * 1024 }), { numRuns: 60, seed: 7 })
  .map((n) => new Uint8Array(n));

for (const { plugin, options = {}, pack } of cases) {
  const label = `${plugin.name}${Object.keys(options).length ? ` ${JSON.stringify(options)}` : ''}`;
  const packed = await packedPool(pack, samples);
  const packedBombs = await packedPool(pack, bombs);

  describeProcessorConformance({
    title: `processor ${label}: compress each event`,
    plugin,
    config: { ...options },
    events: eventArbitrary({ value: bytesArbitrary }),
    roundTrip: { config: { ...options, action: 'decompress' } },
    empty: [new Uint8Array(0)],
  });

  describeProcessorConformance({
    title: `processor ${label}: compress the batch`,
    plugin,
    config: { ...options, per: 'batch' },
    roundTrip: { config: { ...options, action: 'decompress', per: 'batch' } },
  });

  describeProcessorConformance({
    title: `processor ${label}: decompress each event (limit ${LIMIT} bytes)`,
    plugin,
    config: { ...options, action: 'decompress', maxOutputBytes: LIMIT },
    events: eventArbitrary({ value: fc.constantFrom(...packed) }),
    malformed: fc.oneof(
      // Cut short: the end of the stream is missing.
      fc
        .tuple(fc.constantFrom(...packed), fc.integer({ min: 1, max: 64 }))
        .map(([bytes, cut]) => bytes.slice(0, Math.max(1, bytes.length - cut))),
      // Small bombs: more than the limit once decompressed.
      fc.constantFrom(...packedBombs),
      fc.string({ minLength: 1 }),
    ),
  });
}
