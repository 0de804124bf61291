import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import protobuf from '../../../../plugins/codec/protobuf.js';
import { createProcessor, event, runProcessor } from '../run-processor.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-proto-'));
writeFileSync(join(dir, 'driver.proto'), 'syntax = "proto3"; package gps; message Driver { string full_name = 1; }');
writeFileSync(
  join(dir, 'position.proto'),
  `syntax = "proto3"; package gps; import "driver.proto";
   enum Kind { CAR = 0; TRUCK = 1; }
   message Position { string car_id = 1; int32 speed = 2; int64 odometer = 3; Kind kind = 4; gps.Driver driver = 5; }`,
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const base = { protoFile: 'position.proto', messageType: 'gps.Position' };
const ctx = { baseDir: dir };

describe('protobuf', () => {
  it('loads a .proto file with its imports and round-trips messages, 64-bit integers as exact text', async () => {
    const value = {
      car_id: 'A-1',
      speed: 80,
      odometer: '9007199254740993',
      kind: 'TRUCK',
      driver: { full_name: 'Ann' },
    };
    const encoded = await runProcessor(protobuf, { ...base, action: 'encode' }, [event(value)], ctx);
    const { events } = await runProcessor(protobuf, base, encoded.events, ctx);
    expect(events[0].value).toEqual(value);
  });

  it('fills in unset fields with defaults, or leaves them out when defaults is false', async () => {
    const encoded = await runProcessor(protobuf, { ...base, action: 'encode' }, [event({ car_id: 'B' })], ctx);
    const full = await runProcessor(protobuf, base, encoded.events, ctx);
    expect(full.events[0].value).toEqual({ car_id: 'B', speed: 0, odometer: '0', kind: 'CAR', driver: null });
    const sparse = await runProcessor(protobuf, { ...base, defaults: false, enums: 'number' }, encoded.events, ctx);
    expect(sparse.events[0].value).toEqual({ car_id: 'B' });
  });

  it('uses lowerCamelCase field names when asked', async () => {
    const encoded = await runProcessor(
      protobuf,
      { ...base, action: 'encode', fieldNames: 'camelCase' },
      [event({ carId: 'C' })],
      ctx,
    );
    const { events } = await runProcessor(
      protobuf,
      { ...base, fieldNames: 'camelCase', defaults: false },
      encoded.events,
      ctx,
    );
    expect(events[0].value).toEqual({ carId: 'C' });
  });

  it('rejects values that would be silently changed by the conversion, naming the field', async () => {
    const { rejected } = await runProcessor(
      protobuf,
      { ...base, action: 'encode' },
      [
        event({ speed: 'fast' }),
        event({ odometer: '9223372036854775808' }),
        event({ kind: 'BUS' }),
        event({ driver: { full_name: 7 } }),
        event([1]),
      ],
      ctx,
    );
    expect(rejected.map((r) => r.error.message)).toEqual([
      'protobuf encode: Position.speed: expected an integer (int32), got "fast"',
      'protobuf encode: Position.odometer: "9223372036854775808" is out of range for int64',
      'protobuf encode: Position.kind: expected one of CAR, TRUCK, got "BUS"',
      'protobuf encode: Position.driver.full_name: expected text, got 7',
      'protobuf encode: value must be an object of Position fields',
    ]);
  });

  it('rejects bytes that are not a message as record errors', async () => {
    const { rejected } = await runProcessor(
      protobuf,
      base,
      [event(Buffer.from([0x0a, 0x05, 0x41])), event(Buffer.from([0x0f]))],
      ctx,
    );
    expect(rejected.map((r) => r.error.message)).toEqual([
      'protobuf decode: value is not a Position message (index out of range: 2 + 5 > 3)',
      'protobuf decode: value is not a Position message (invalid wire type 7 at offset 1)',
    ]);
  });

  it('refuses an unknown message type at start, listing the ones that exist', async () => {
    await expect(createProcessor(protobuf, { ...base, messageType: 'gps.Pos' }, ctx)).rejects.toThrow(
      'protobuf: message type gps.Pos is not defined; the definitions hold gps.Driver, gps.Position',
    );
    expect(() => protobuf.config.parse({ messageType: 'x' })).toThrow(/exactly one of protoFile or proto/);
  });
});
