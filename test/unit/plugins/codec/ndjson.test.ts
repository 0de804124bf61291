import { describe, expect, it } from 'vitest';
import ndjson from '../../../../plugins/codec/ndjson.js';
import { event, runProcessor } from '../run-processor.js';

describe('ndjson', () => {
  it('splits a payload into one event per line, skipping blank lines and keeping the key and time', async () => {
    const payload = Buffer.from('{"n":1}\r\n\n{"n":2}\n  \n[3]');
    const { events, rejected } = await runProcessor(ndjson, {}, [event(payload, { key: 'file-1', ts: 9 })]);
    expect(rejected).toEqual([]);
    expect(events).toEqual([
      { key: 'file-1', value: { n: 1 }, ts: 9, headers: {} },
      { key: 'file-1', value: { n: 2 }, ts: 9, headers: {} },
      { key: 'file-1', value: [3], ts: 9, headers: {} },
    ]);
  });

  it('rejects only the lines that are not JSON, naming the line, and keeps the others', async () => {
    const { events, rejected } = await runProcessor(ndjson, {}, [event('{"n":1}\nnot json\n{"n":3}')]);
    expect(events.map((e) => e.value)).toEqual([{ n: 1 }, { n: 3 }]);
    expect(rejected).toHaveLength(1);
    expect(rejected[0].event.value).toBe('not json');
    expect(rejected[0].error.message).toMatch(/^ndjson decode: line 2: value is not JSON/);
  });

  it('joins a batch into one payload event with the key and time of the first and the count in a header', async () => {
    const { events } = await runProcessor(ndjson, { action: 'encode' }, [
      event({ n: 1 }, { key: 'a', ts: 1 }),
      event('two', { key: 'b', ts: 2 }),
    ]);
    expect(events).toHaveLength(1);
    expect(events[0].key).toBe('a');
    expect(events[0].ts).toBe(1);
    expect(events[0].headers).toEqual({ 'sluice-batch-count': '2' });
    expect(Buffer.from(events[0].value as Uint8Array).toString()).toBe('{"n":1}\n"two"\n');
  });

  it('with envelope, writes whole events and reads them back exactly', async () => {
    const batch = [
      event({ n: 1 }, { key: 'a', ts: 1, headers: { h: 'x' } }),
      event(new Uint8Array([7]), { key: null, ts: 2 }),
    ];
    const encoded = await runProcessor(ndjson, { action: 'encode', envelope: true }, batch);
    const decoded = await runProcessor(ndjson, { action: 'decode', envelope: true }, encoded.events);
    expect(decoded.events).toEqual(batch);
  });
});
