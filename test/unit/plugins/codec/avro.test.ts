import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import avro from '../../../../plugins/codec/avro.js';
import { createProcessor, event, runProcessor } from '../run-processor.js';

const v1 = {
  type: 'record',
  name: 'Position',
  fields: [
    { name: 'car', type: 'string' },
    { name: 'speed', type: 'float' },
    { name: 'count', type: 'long' },
  ],
};
// Version 2: speed promoted to double, count removed, driver added with a default.
const v2 = {
  type: 'record',
  name: 'Position',
  fields: [
    { name: 'car', type: 'string' },
    { name: 'speed', type: 'double' },
    { name: 'driver', type: 'string', default: 'unknown' },
  ],
};

const dir = mkdtempSync(join(tmpdir(), 'sluice-avro-'));
writeFileSync(join(dir, 'position-v1.avsc'), JSON.stringify(v1));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('avro', () => {
  it('reads the schema from a file relative to the pipeline folder and round-trips values', async () => {
    const value = { car: 'A-1', speed: 12.5, count: 3 };
    const encoded = await runProcessor(avro, { action: 'encode', schemaFile: 'position-v1.avsc' }, [event(value)], {
      baseDir: dir,
    });
    expect(encoded.events[0].value).toBeInstanceOf(Uint8Array);
    const decoded = await runProcessor(avro, { schema: v1 }, encoded.events);
    expect({ ...(decoded.events[0].value as object) }).toEqual(value);
  });

  it('reads old data with a newer reader schema: promoted types, removed fields, defaults for new ones', async () => {
    const old = await runProcessor(avro, { action: 'encode', schema: v1 }, [
      event({ car: 'A-1', speed: 1.5, count: 3 }),
    ]);
    const { events } = await runProcessor(avro, { schema: v1, readerSchema: JSON.stringify(v2) }, old.events);
    expect({ ...(events[0].value as object) }).toEqual({ car: 'A-1', speed: 1.5, driver: 'unknown' });
  });

  it('keeps longs exact beyond 2^52, as numbers within 2^53 and as decimal text beyond', async () => {
    const values = [-(2 ** 52) - 1, Number.MAX_SAFE_INTEGER, '-9223372036854775808', '9223372036854775807'];
    const batch = values.map((count) => event({ car: '', speed: 0, count }));
    const encoded = await runProcessor(avro, { action: 'encode', schema: v1 }, batch);
    const { events } = await runProcessor(avro, { schema: v1 }, encoded.events);
    expect(events.map((e) => (e.value as { count: unknown }).count)).toEqual(values);
  });

  it('rejects a value that does not match the schema, naming the field and what was expected', async () => {
    const { rejected } = await runProcessor(avro, { action: 'encode', schema: v1 }, [
      event({ car: 'A', speed: 'fast', count: 1 }),
    ]);
    expect(rejected[0].error.message).toBe(
      'avro encode: value does not match the schema: speed: expected float, got "fast"',
    );
  });

  it('rejects truncated data and data with bytes left over as record errors', async () => {
    const encoded = await runProcessor(avro, { action: 'encode', schema: v1 }, [
      event({ car: 'A-1', speed: 1, count: 1 }),
    ]);
    const bytes = encoded.events[0].value as Uint8Array;
    const { rejected } = await runProcessor(avro, { schema: v1 }, [
      event(bytes.slice(0, -1)),
      event(Buffer.concat([bytes, Buffer.of(0)])),
    ]);
    expect(rejected.map((r) => r.error.message)).toEqual([
      'avro decode: value is not Avro data of the schema (truncated buffer)',
      'avro decode: value is not Avro data of the schema (trailing data)',
    ]);
  });

  it('refuses a config with no schema, or with a schema that is not Avro, before anything runs', async () => {
    expect(() => avro.config.parse({})).toThrow(/exactly one of schema or schemaFile/);
    await expect(createProcessor(avro, { schema: { type: 'record', name: 'X' } })).rejects.toThrow(
      /^avro: schema is not a valid Avro schema/,
    );
    await expect(createProcessor(avro, { schemaFile: 'missing.avsc' }, { baseDir: dir })).rejects.toThrow(
      /^avro: cannot read schema file/,
    );
  });

  describe('hostile input', () => {
    const positions = {
      type: 'record',
      name: 'Track',
      fields: [
        { name: 'id', type: 'int' },
        { name: 'car', type: 'string' },
        { name: 'points', type: { type: 'array', items: 'long' } },
      ],
    };

    it('fails the record, not the process, when 7 bytes claim 300 million array items', async () => {
      const { events, rejected } = await runProcessor(avro, { schema: positions }, [
        event(Buffer.from([0x00, 0x00, 0x80, 0x8c, 0x8d, 0x9e, 0x02])),
        event(Buffer.from([0x02, 0x02, 0x61, 0x02, 0x04, 0x00])),
      ]);
      expect(rejected.map((r) => r.error.message)).toEqual([
        expect.stringMatching(/^avro decode: value is not Avro data of the schema \(a block claims 3\d{8} items/),
      ]);
      expect(events.map((e) => ({ ...(e.value as object) }))).toEqual([{ id: 1, car: 'a', points: [2] }]);
    });

    it('bounds maps, nested arrays and arrays of empty items the same way', async () => {
      const schema = {
        type: 'record',
        name: 'Bag',
        fields: [
          { name: 'tags', type: { type: 'map', values: { type: 'array', items: 'null' } } },
          { name: 'nulls', type: { type: 'array', items: 'null' } },
        ],
      };
      const hugeCount = [0xfe, 0xff, 0xff, 0xff, 0x0f]; // 2^31 - 1, zig-zag
      const { rejected } = await runProcessor(avro, { schema }, [
        event(Buffer.from([...hugeCount, 0x00, 0x00])),
        event(Buffer.from([0x00, ...hugeCount, 0x00])),
      ]);
      expect(rejected.map((r) => r.error.message)).toEqual([
        expect.stringMatching(/a block claims 2147483647 items, more than the \d+ bytes left/),
        expect.stringMatching(/more than 1000000 items of an empty type/),
      ]);
      const ok = await runProcessor(avro, { schema }, [
        event(Buffer.from([0x02, 0x02, 0x6b, 0x04, 0x00, 0x00, 0x06, 0x00])),
      ]);
      expect(ok.rejected).toEqual([]);
      expect({ ...(ok.events[0].value as object) }).toEqual({ tags: { k: [null, null] }, nulls: [null, null, null] });
    });

    it('turns random bytes into record errors or values, never a crash', async () => {
      const instance = await createProcessor(avro, { schema: positions });
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (bytes) => {
          const result = await instance.process([event(Buffer.from(bytes))]);
          const { events, rejected = [] } = Array.isArray(result) ? { events: result } : result;
          expect(events.length + rejected.length).toBe(1);
          for (const r of rejected) expect(r.error).toMatchObject({ kind: 'record', code: 'E_DECODE' });
        }),
        { numRuns: 2000 },
      );
    });
  });
});
