import { describe, expect, it } from 'vitest';
import json from '../../../../plugins/codec/json.js';
import { createProcessor, event, processFrozen, runProcessor } from '../run-processor.js';

describe('json', () => {
  it('decodes JSON text and UTF-8 bytes into values, and lets decoded values through as they are', async () => {
    const already = event({ speed: 3 });
    const { events, rejected } = await runProcessor(json, {}, [
      event('{"speed": 42}'),
      event(Buffer.from('\uFEFF[1, "two", null]')),
      already,
    ]);
    expect(rejected).toEqual([]);
    expect(events.map((e) => e.value)).toEqual([{ speed: 42 }, [1, 'two', null], { speed: 3 }]);
    expect(events[2]).toBe(already);
  });

  it('keeps key, time, headers and id of the event', async () => {
    const input = event('1', { key: 'car-7', ts: 5, headers: { source: 'gps' }, id: '0-1-0' });
    const { events } = await runProcessor(json, {}, [input]);
    expect(events[0]).toEqual({ ...input, value: 1 });
  });

  it('rejects text that is not JSON with a record error saying so, and goes on with the rest', async () => {
    const { events, rejected } = await runProcessor(json, {}, [
      event('{"a": 1'),
      event('2'),
      event(Buffer.from([0xff])),
    ]);
    expect(events.map((e) => e.value)).toEqual([2]);
    expect(rejected.map((r) => (r.error as { kind: string }).kind)).toEqual(['record', 'record']);
    expect(rejected[0].error.message).toMatch(/^json decode: value is not JSON \(.+\)$/);
    expect(rejected[1].error.message).toMatch(/^json decode: value is not valid UTF-8 text/);
  });

  it('encodes values as UTF-8 JSON bytes, bytes inside values tagged so that decoding restores them', async () => {
    const encode = await createProcessor(json, { action: 'encode' });
    const value = { name: 'Zoë', raw: new Uint8Array([1, 2, 3]) };
    const { events } = await processFrozen(encode, [event(value)]);
    expect(Buffer.from(events[0].value as Uint8Array).toString('utf8')).toBe('{"name":"Zoë","raw":{"$bytes":"AQID"}}');
    const back = await runProcessor(json, {}, events);
    expect(back.events[0].value).toEqual({ name: 'Zoë', raw: new Uint8Array([1, 2, 3]) });
  });

  it('rejects a value JSON cannot hold (a BigInt) as a record error', async () => {
    const { rejected } = await runProcessor(json, { action: 'encode' }, [event({ n: 1n })]);
    expect(rejected[0].error.message).toMatch(/^json encode: value cannot be written as JSON/);
  });
});
