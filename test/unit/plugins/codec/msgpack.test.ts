import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import msgpack from '../../../../plugins/codec/msgpack.js';
import { event, runProcessor } from '../run-processor.js';

const rich = new Packr({ useRecords: false, moreTypes: true, structuredClone: true });

describe('msgpack', () => {
  it('writes standard MessagePack and reads it back', async () => {
    const value = { car: 'A-1', speed: 12.5, tags: ['x'], raw: new Uint8Array([1, 2]) };
    const encoded = await runProcessor(msgpack, { action: 'encode' }, [event(value)]);
    expect(new Packr({ useRecords: false }).unpack(encoded.events[0].value as Uint8Array)).toEqual({
      ...value,
      raw: Buffer.from([1, 2]),
    });
    const decoded = await runProcessor(msgpack, {}, encoded.events);
    expect(decoded.events[0].value).toEqual({ ...value, raw: Buffer.from([1, 2]) });
  });

  it('reads timestamps as ISO-8601 text and 64-bit integers beyond 2^53 as decimal text', async () => {
    const bytes = Buffer.from([
      0x82,
      0xa1,
      0x74,
      ...rich.pack(new Date(0)),
      0xa1,
      0x6e,
      0xcf,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
    ]);
    const { events } = await runProcessor(msgpack, {}, [event(bytes)]);
    expect(events[0].value).toEqual({ t: '1970-01-01T00:00:00.000Z', n: '18446744073709551615' });
  });

  it('rejects the reserved byte, extension types an event cannot carry, and text', async () => {
    const { events, rejected } = await runProcessor(msgpack, {}, [
      event(Buffer.from([0xc1])),
      event(rich.pack(new Set([1]))),
      event(rich.pack(/x/)),
      event('{"a":1}'),
    ]);
    expect(events).toEqual([]);
    expect(rejected.map((r) => r.error.message)).toEqual([
      'msgpack decode: value holds the reserved byte 0xc1, which an event cannot carry',
      'msgpack decode: value holds an object of type Set, which an event cannot carry',
      'msgpack decode: value holds an object of type RegExp, which an event cannot carry',
      'msgpack decode: expected bytes, got text; MessagePack is a binary format',
    ]);
  });
});
