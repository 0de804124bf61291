import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});
