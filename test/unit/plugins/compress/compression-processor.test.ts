// Behaviour every compression processor shares, checked on each of them: per-batch operation, the output
// limit against compression bombs, and what decompressing something that is not compressed data gives.
import { brotliCompressSync, constants, deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import { compress as zstdCompress } from '@mongodb-js/zstd';
import { compressFrameSync } from 'lz4-napi';
import { compressSync as snappyCompress } from 'snappy';
import { describe, expect, it } from 'vitest';
import type { ProcessorPlugin } from '../../../../core/plugin.js';
import brotli from '../../../../plugins/compress/brotli.js';
import deflate from '../../../../plugins/compress/deflate.js';
import gzip from '../../../../plugins/compress/gzip.js';
import lz4 from '../../../../plugins/compress/lz4.js';
import snappy from '../../../../plugins/compress/snappy.js';
import zstd from '../../../../plugins/compress/zstd.js';
import { event, runProcessor } from '../run-processor.js';

const processors: ProcessorPlugin[] = [gzip, deflate, brotli, zstd, lz4, snappy];
const byName = (name: string) => processors.find((p) => p.name === name) as ProcessorPlugin;
const MiB = 1024 * 1024;

describe.each(processors.map((p) => [p.name, p] as const))('%s', (_name, plugin) => {
  it('compresses text and JSON values as their UTF-8 text; decompressing gives those bytes', async () => {
    const compressed = await runProcessor(plugin, {}, [
      event('héllo', { key: 'k', headers: { h: '1' } }),
      event({ a: 1 }),
    ]);
    const { events } = await runProcessor(plugin, { action: 'decompress' }, compressed.events);
    expect(events.map((e) => Buffer.from(e.value as Uint8Array).toString())).toEqual(['héllo', '{"a":1}']);
    expect(events[0].key).toBe('k');
    expect(events[0].headers).toEqual({ h: '1' });
  });

  it('turns a whole batch into one event and back into exactly the same events', async () => {
    const batch = [
      event({ n: 1 }, { key: 'a', ts: 10, id: '0-1-0' }),
      event(new Uint8Array([1, 2]), { key: null, ts: 11, headers: { x: 'y' } }),
    ];
    const packed = await runProcessor(plugin, { per: 'batch' }, batch);
    expect(packed.events).toHaveLength(1);
    expect(packed.events[0]).toMatchObject({ key: 'a', ts: 10, headers: { 'sluice-batch-count': '2' } });
    const unpacked = await runProcessor(plugin, { action: 'decompress', per: 'batch' }, packed.events);
    expect(unpacked.events).toEqual(batch);
  });

  it('rejects a batch whose event count does not match its header', async () => {
    const packed = await runProcessor(plugin, { per: 'batch' }, [event(1), event(2)]);
    const tampered = { ...packed.events[0], headers: { 'sluice-batch-count': '3' } };
    const { rejected } = await runProcessor(plugin, { action: 'decompress', per: 'batch' }, [tampered]);
    expect(rejected[0].error.message).toBe(`${plugin.name} decompress: batch holds 2 events but its header says 3`);
  });

  it('rejects a value that would decompress past maxOutputBytes, without running out of memory', async () => {
    const compressed = await runProcessor(plugin, {}, [event(new Uint8Array(8 * MiB))]);
    const { events, rejected } = await runProcessor(
      plugin,
      { action: 'decompress', maxOutputBytes: MiB },
      compressed.events,
    );
    expect(events).toEqual([]);
    expect((rejected[0].error as { code?: string }).code).toBe('E_DECOMPRESS_LIMIT');
    expect(rejected[0].error.message).toMatch(
      /decompresses to more than maxOutputBytes \(1048576 bytes\); raise maxOutputBytes/,
    );
  });

  it('rejects text, and bytes that are not compressed data, as record errors', async () => {
    const { rejected } = await runProcessor(plugin, { action: 'decompress' }, [
      event('plain'),
      event(Buffer.from('plain bytes, not compressed')),
    ]);
    expect(rejected.map((r) => (r.error as { kind?: string }).kind)).toEqual(['record', 'record']);
    expect(rejected[0].error.message).toBe(`${plugin.name} decompress: expected bytes, got text`);
  });
});

describe('compression bombs', () => {
  // Each payload claims far more output than the limit; none may be decompressed to find out.
  it.each([
    ['gzip', () => gzipSync(new Uint8Array(256 * MiB), { level: 1 })],
    ['deflate', () => deflateSync(new Uint8Array(256 * MiB), { level: 1 })],
    [
      'brotli',
      () => brotliCompressSync(new Uint8Array(256 * MiB), { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } }),
    ],
    ['zstd', () => zstdCompress(Buffer.alloc(256 * MiB), 1)],
    ['lz4', () => compressFrameSync(Buffer.alloc(256 * MiB))],
    ['snappy', () => snappyCompress(new Uint8Array(256 * MiB))],
  ] as const)(
    '%s: a small payload of 256 MiB of zeros is refused under the default 64 MiB limit',
    async (name, make) => {
      const bomb = await make();
      const before = process.memoryUsage().rss;
      const { rejected } = await runProcessor(byName(name), { action: 'decompress' }, [event(bomb)]);
      expect((rejected[0].error as { code?: string }).code).toBe('E_DECOMPRESS_LIMIT');
      // The limit holds memory to about the limit: nothing near the bomb's 256 MiB.
      expect(process.memoryUsage().rss - before).toBeLessThan(160 * MiB);
    },
  );

  it('zstd: RLE blocks declaring 8 GiB in 256 KiB are refused from their headers alone', async () => {
    // Block header (3 bytes, little-endian): last-block bit, type 1 (RLE), size 128 KiB; then the byte repeated.
    const block = Buffer.from([0x02, 0x00, 0x10, 0x61]);
    const last = Buffer.from([0x03, 0x00, 0x10, 0x61]);
    const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58]);
    const frame = Buffer.concat([header, ...Array.from({ length: 65_535 }, () => block), last]);
    const started = Date.now();
    const { rejected } = await runProcessor(byName('zstd'), { action: 'decompress' }, [event(frame)]);
    expect((rejected[0].error as { code?: string }).code).toBe('E_DECOMPRESS_LIMIT');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('lz4 block and snappy: a declared size above the limit is refused before decompressing', async () => {
    const lz4Block = Buffer.from([0xff, 0xff, 0xff, 0x7f, 0x00]);
    const snappyBlock = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x07, 0x00]);
    const lz4 = await runProcessor(byName('lz4'), { action: 'decompress', format: 'block' }, [event(lz4Block)]);
    const snappy = await runProcessor(byName('snappy'), { action: 'decompress' }, [event(snappyBlock)]);
    expect([lz4, snappy].map((r) => (r.rejected[0].error as { code?: string }).code)).toEqual([
      'E_DECOMPRESS_LIMIT',
      'E_DECOMPRESS_LIMIT',
    ]);
  });
});

describe('formats other tools read', () => {
  it('gzip output is a gzip file, compressed at level 1 unless told otherwise', async () => {
    const { events } = await runProcessor(byName('gzip'), {}, [event('hello')]);
    expect(gunzipSync(events[0].value as Uint8Array).toString()).toBe('hello');
    expect(byName('gzip').config.parse({})).toMatchObject({
      level: 1,
      action: 'compress',
      per: 'event',
      maxOutputBytes: 64 * MiB,
    });
  });

  it('brotli compresses at quality 4 by default, a streaming speed', () => {
    expect(byName('brotli').config.parse({})).toMatchObject({ level: 4 });
  });

  it('lz4 writes the LZ4 frame format by default (the .lz4 file magic number)', async () => {
    const { events } = await runProcessor(byName('lz4'), {}, [event('hello')]);
    expect(Buffer.from(events[0].value as Uint8Array).readUInt32LE(0)).toBe(0x184d2204);
  });

  it('deflate reads and writes raw deflate when asked', async () => {
    const raw = await runProcessor(byName('deflate'), { raw: true }, [event('hello')]);
    const back = await runProcessor(byName('deflate'), { action: 'decompress', raw: true }, raw.events);
    expect(Buffer.from(back.events[0].value as Uint8Array).toString()).toBe('hello');
  });
});

describe('lz4', () => {
  it('decompresses every frame of a payload, not only the first, and refuses trailing bytes', async () => {
    const two = Buffer.concat([compressFrameSync(Buffer.from('first ')), compressFrameSync(Buffer.from('second'))]);
    const lz4 = byName('lz4');
    const { events, rejected } = await runProcessor(lz4, { action: 'decompress' }, [
      event(two),
      event(Buffer.concat([two, Buffer.from('junk')])),
    ]);
    expect(events.map((e) => Buffer.from(e.value as Uint8Array).toString())).toEqual(['first second']);
    expect(rejected[0].error.message).toBe(
      'lz4 decompress: value is not valid LZ4 frame data (not an LZ4 frame (unknown magic number))',
    );
  });
});
