// Hostile input to every decoder, decompressor and the decryption path: each malformed input must end as a
// decoded value or a record error of its event, never a crash, a hang or runaway memory.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { errorKind } from '../../core/errors.js';
import type { SluiceEvent } from '../../core/event.js';
import type { ProcessorInstance, ProcessorPlugin } from '../../core/plugin.js';
import avro from '../../plugins/codec/avro.js';
import csv from '../../plugins/codec/csv.js';
import json from '../../plugins/codec/json.js';
import msgpack from '../../plugins/codec/msgpack.js';
import ndjson from '../../plugins/codec/ndjson.js';
import protobuf from '../../plugins/codec/protobuf.js';
import brotli from '../../plugins/compress/brotli.js';
import deflate from '../../plugins/compress/deflate.js';
import gzip from '../../plugins/compress/gzip.js';
import lz4 from '../../plugins/compress/lz4.js';
import snappy from '../../plugins/compress/snappy.js';
import zstd from '../../plugins/compress/zstd.js';
import aesGcm from '../../plugins/crypto/aes-gcm.js';
import { createProcessor, runProcessor } from '../conformance/processor.js';
import { recordFigure, sized } from '../harness/figures.js';
import { MemoryWatch, malformedInputs } from './hostile-input.js';

const INPUTS = sized({ full: 250, reduced: 40 });
const MEMORY_BOUND_MB = 256;

const track = {
  type: 'record',
  name: 'Track',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'car', type: 'string' },
    { name: 'points', type: { type: 'array', items: 'long' } },
    { name: 'tags', type: { type: 'map', values: 'string' } },
    { name: 'note', type: ['null', 'string', 'bytes'] },
  ],
};
const proto = `syntax = "proto3"; package gps;
  message Point { sint64 at = 1; repeated double xy = 2 [packed = true]; }
  message Track { int32 id = 1; string car = 2; repeated Point points = 3; map<string, string> tags = 4; bytes raw = 5; Track next = 6; }`;

const values = [
  { id: 1, car: 'A-1', points: [1, 2, 3], tags: { a: 'b' }, note: null },
  { id: -7, car: '', points: [], tags: {}, note: 'n' },
  { id: 2 ** 30, car: 'ÄÖÜ-€', points: [-(2 ** 40), 2 ** 40], tags: { x: 'y'.repeat(40), z: '' }, note: 'ab' },
];
const protoValues = [
  { id: 1, car: 'A-1', points: [{ at: 5, xy: [1.5, 2.5] }], tags: { a: 'b' }, raw: 'AAEC', next: { id: 2 } },
  { id: -7, car: '', points: [], tags: {} },
];
const key = randomBytes(32).toString('hex');
const text = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

interface DecoderCase {
  name: string;
  plugin: ProcessorPlugin;
  decode: Record<string, unknown>;
  /** Config that encodes `values` into the valid samples malformed inputs are made from. */
  encode?: { config: Record<string, unknown>; values: unknown[] };
  samples?: Uint8Array[];
  /** Inputs made to exhaust memory: a compression bomb, a length claiming gigabytes. */
  bombs?: () => Promise<Uint8Array[]>;
}

const zeros = Buffer.alloc(96 * 1024 * 1024);
const compressed = (plugin: ProcessorPlugin): DecoderCase => ({
  name: `${plugin.name} decompress`,
  plugin,
  decode: { action: 'decompress' },
  encode: { config: { action: 'compress' }, values: ['hello hello hello', JSON.stringify(values), 'x'.repeat(5000)] },
  // 96 MiB of zeros, over the 64 MiB default output limit.
  bombs: async () => (await encodeAll(plugin, { action: 'compress' }, [new Uint8Array(zeros)])).slice(0, 1),
});

const cases: DecoderCase[] = [
  {
    name: 'avro decode',
    plugin: avro,
    decode: { schema: track },
    encode: { config: { schema: track, action: 'encode' }, values },
  },
  {
    name: 'protobuf decode',
    plugin: protobuf,
    decode: { proto, messageType: 'gps.Track' },
    encode: { config: { proto, messageType: 'gps.Track', action: 'encode' }, values: protoValues },
    // Length-delimited fields (a message, a string, packed doubles) claiming gigabytes, and a deep chain of `next`.
    bombs: async () => [
      Uint8Array.of(0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x08, 0x01),
      Uint8Array.of(0x12, 0xff, 0xff, 0xff, 0xff, 0x07),
      Uint8Array.of(0x1a, 0x06, 0x12, 0xff, 0xff, 0xff, 0xff, 0x0f),
      Uint8Array.from({ length: 200_000 }, (_, i) => (i % 2 === 0 ? 0x32 : 0x00)),
    ],
  },
  {
    name: 'msgpack decode',
    plugin: msgpack,
    decode: {},
    encode: { config: { action: 'encode' }, values },
    // array 32, map 32, str 32, bin 32 and ext 32 headers claiming 4 GiB, then nothing.
    bombs: async () => [0xdd, 0xdf, 0xdb, 0xc6, 0xc9].map((type) => Uint8Array.of(type, 0xff, 0xff, 0xff, 0xff, 0x01)),
  },
  {
    name: 'csv decode',
    plugin: csv,
    decode: { action: 'decode' },
    samples: [text('car,speed\nA-1,60\n"B,2","7"\n'), text('a;b\n1;2\n'), text('x\n"multi\nline"\n')],
  },
  { name: 'json decode', plugin: json, decode: {}, encode: { config: { action: 'encode' }, values } },
  {
    name: 'ndjson decode',
    plugin: ndjson,
    decode: {},
    samples: [text(`${values.map((v) => JSON.stringify(v)).join('\n')}\n`)],
  },
  ...[gzip, deflate, brotli, zstd, lz4, snappy].map(compressed),
  {
    name: 'aes-gcm decrypt',
    plugin: aesGcm,
    decode: { action: 'decrypt', keys: { k1: key } },
    encode: { config: { action: 'encrypt', keys: { k1: key } }, values: ['secret text', { a: 1 }, text('bytes')] },
  },
];

const event = (value: unknown): SluiceEvent => ({ key: 'k', value, ts: 1_700_000_000_000, headers: {} });

async function encodeAll(plugin: ProcessorPlugin, config: Record<string, unknown>, list: unknown[]) {
  const instance = await createProcessor({ plugin, config });
  const { events, rejected = [] } = await runProcessor(instance, list.map(event));
  expect(rejected).toEqual([]);
  return events.map((e) => e.value as Uint8Array);
}

/** True when the input ended as values or as record errors of its event, nothing else. */
async function holds(instance: ProcessorInstance, input: Uint8Array): Promise<boolean> {
  try {
    const { rejected = [] } = await runProcessor(instance, [event(input)]);
    return rejected.every((r) => errorKind(r.error) === 'record');
  } catch {
    return false;
  }
}

describe('hostile input to decoders, decompressors and decryption', () => {
  for (const c of cases) {
    it(`${c.name}: ${INPUTS}+ malformed inputs end as values or record errors, memory bounded`, {
      timeout: 240_000,
    }, async () => {
      const valid = c.samples ?? (await encodeAll(c.plugin, c.encode!.config, c.encode!.values));
      const instance = await createProcessor({ plugin: c.plugin, config: c.decode });
      const seed = [...c.name].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7);
      const inputs = [...malformedInputs(valid, INPUTS, seed), ...((await c.bombs?.()) ?? [])];
      const watch = new MemoryWatch();
      const failed: number[] = [];
      for (const [i, input] of inputs.entries()) {
        if (!(await holds(instance, input))) failed.push(i);
        watch.sample();
      }
      const growth = watch.growthMb();
      recordFigure({
        suite: 'security',
        case: c.name,
        tries: inputs.length,
        held: inputs.length - failed.length,
        'heap growth MB': growth.heap,
        'rss growth MB': growth.rss,
      });
      expect(failed, `inputs that did not end as a value or a record error (seed ${seed})`).toEqual([]);
      expect(growth.heap).toBeLessThan(MEMORY_BOUND_MB);
      expect(growth.rss).toBeLessThan(MEMORY_BOUND_MB);
    });
  }
});
