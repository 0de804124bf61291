import { describe, expect, it } from 'vitest';
import csv from '../../../../plugins/codec/csv.js';
import { event, runProcessor } from '../run-processor.js';

const text = (e: { value: unknown }) => Buffer.from(e.value as Uint8Array).toString('utf8');

describe('csv', () => {
  it('reads rows into objects named by the header, with quoted separators, quotes and line breaks', async () => {
    const payload = '\uFEFFcar,note\r\nA-1,"stopped, then ""parked""\non the left"\r\nB-2,\r\n';
    const { events, rejected } = await runProcessor(csv, {}, [event(payload, { key: 'f', ts: 3 })]);
    expect(rejected).toEqual([]);
    expect(events).toEqual([
      { key: 'f', value: { car: 'A-1', note: 'stopped, then "parked"\non the left' }, ts: 3, headers: {} },
      { key: 'f', value: { car: 'B-2', note: '' }, ts: 3, headers: {} },
    ]);
  });

  it('converts typed columns, reading empty fields as null', async () => {
    const payload = 'speed,count,ok,extra,name\n12.5,3,TRUE,"{""a"":1}",x\n,,,,\n';
    const types = { speed: 'number', count: 'integer', ok: 'boolean', extra: 'json' };
    const { events } = await runProcessor(csv, { types }, [event(payload)]);
    expect(events.map((e) => e.value)).toEqual([
      { speed: 12.5, count: 3, ok: true, extra: { a: 1 }, name: 'x' },
      { speed: null, count: null, ok: null, extra: null, name: '' },
    ]);
  });

  it('rejects a row whose field does not fit its type, naming the line, and keeps the other rows', async () => {
    const payload = 'car,speed\nA,10\nB,fast\nC,30\n';
    const { events, rejected } = await runProcessor(csv, { types: { speed: 'number' } }, [event(payload)]);
    expect(events.map((e) => (e.value as { car: string }).car)).toEqual(['A', 'C']);
    expect(rejected[0].error.message).toBe('csv decode: line 3: "fast" is not a number');
    expect(rejected[0].event.value).toBe('B,fast\n');
  });

  it('rejects a row with the wrong number of fields and keeps the others', async () => {
    const { events, rejected } = await runProcessor(csv, {}, [event('a,b\n1,2\n3\n4,5\n')]);
    expect(events.map((e) => e.value)).toEqual([
      { a: '1', b: '2' },
      { a: '4', b: '5' },
    ]);
    expect(rejected[0].error.message).toMatch(/^csv decode: line 3: Invalid Record Length/);
  });

  it('rejects a payload whose header names a column twice', async () => {
    const { events, rejected } = await runProcessor(csv, {}, [event('a,a\n1,2\n')]);
    expect(events).toEqual([]);
    expect(rejected[0].error.message).toMatch(/names column "a" twice/);
  });

  it('reads rows as arrays without a header, or names them with columns', async () => {
    const arrays = await runProcessor(csv, { header: false, delimiter: ';' }, [event('1;2\n3;4;5\n')]);
    expect(arrays.events.map((e) => e.value)).toEqual([
      ['1', '2'],
      ['3', '4', '5'],
    ]);
    const named = await runProcessor(csv, { header: false, columns: ['x', 'y'] }, [event('1,2\n')]);
    expect(named.events[0].value).toEqual({ x: '1', y: '2' });
    const renamed = await runProcessor(csv, { columns: ['x', 'y'] }, [event('A,B\n1,2\n')]);
    expect(renamed.events[0].value).toEqual({ x: '1', y: '2' });
  });

  it('writes a batch as one CSV payload: header from the first event, quoting only where needed', async () => {
    const { events, rejected } = await runProcessor(csv, { action: 'encode' }, [
      event({ car: 'A', note: 'a, b', speed: 3 }, { key: 'k1', ts: 1 }),
      event({ car: 'B', speed: null, note: 'say "hi"', ignored: true }),
      event('not a row'),
    ]);
    expect(text(events[0])).toBe('car,note,speed\nA,"a, b",3\nB,"say ""hi""",\n');
    expect(events[0].headers).toEqual({ 'sluice-batch-count': '2' });
    expect(events[0].key).toBe('k1');
    expect(rejected[0].error.message).toBe('csv encode: value must be an object of fields (or an array of fields)');
  });

  it('writes the configured columns in order, with CRLF line endings and Latin-1 bytes when asked', async () => {
    const { events } = await runProcessor(
      csv,
      { action: 'encode', columns: ['b', 'a'], lineEnding: 'crlf', encoding: 'latin1' },
      [event({ a: 'é', b: 1 })],
    );
    expect(Buffer.from(events[0].value as Uint8Array)).toEqual(Buffer.from('b,a\r\n1,\xe9\r\n', 'latin1'));
  });
});
