import { describe, expect, it } from 'vitest';
import set from '../../../../plugins/transform/set.js';
import { event, runProcessor } from '../run-processor.js';

describe('set', () => {
  it('sets the key, the event time and headers from fields of the value', async () => {
    const config = { key: 'value.carId', ts: 'value.time', headers: { region: 'value.region' } };
    const { events, rejected } = await runProcessor(set, config, [
      event({ carId: 'c1', time: '2024-05-01T10:00:00Z', region: 'eu' }, { headers: { kept: 'yes' }, id: '0-1-0' }),
    ]);
    expect(rejected).toEqual([]);
    expect(events).toEqual([
      {
        key: 'c1',
        value: { carId: 'c1', time: '2024-05-01T10:00:00Z', region: 'eu' },
        ts: Date.parse('2024-05-01T10:00:00Z'),
        headers: { kept: 'yes', region: 'eu' },
        id: '0-1-0',
      },
    ]);
  });

  it('reads event times as ISO text, epoch seconds or epoch milliseconds', async () => {
    const { events } = await runProcessor(set, { ts: 'value.t' }, [
      event({ t: '2024-05-01T10:00:00.250Z' }),
      event({ t: 1714557600 }),
      event({ t: 1714557600250 }),
      event({ t: '1714557600' }),
    ]);
    expect(events.map((e) => e.ts)).toEqual([1714557600250, 1714557600000, 1714557600250, 1714557600000]);
  });

  it('rejects an event whose time is not a timestamp, saying what it got', async () => {
    const { events, rejected } = await runProcessor(set, { ts: 'value.t' }, [event({ t: 'yesterday' }), event({})]);
    expect(events).toEqual([]);
    expect(rejected.map((r) => r.error.message)).toEqual([
      'set ts: "value.t" gave "yesterday", which is not ISO-8601 text or epoch seconds/milliseconds',
      'set ts: "value.t" gave nothing, which is not ISO-8601 text or epoch seconds/milliseconds',
    ]);
    expect(rejected[0].error).toMatchObject({ kind: 'record', code: 'E_SET_TS' });
  });

  it('writes keys and headers that are not text as JSON, and null clears the key', async () => {
    const { events } = await runProcessor(set, { key: 'value.k', headers: { n: 'value.n', o: 'value.o' } }, [
      event({ k: 7, n: true, o: { a: 1 } }, { key: 'old' }),
      event({ k: null }, { key: 'old' }),
    ]);
    expect(events.map((e) => [e.key, e.headers])).toEqual([
      ['7', { n: 'true', o: '{"a":1}' }],
      [null, {}],
    ]);
  });

  it('rejects an event whose key expression selects nothing', async () => {
    const { rejected } = await runProcessor(set, { key: 'value.carId' }, [event({})]);
    expect(rejected[0].error).toMatchObject({ kind: 'record', code: 'E_SET_KEY' });
  });

  it('needs at least one of key, ts or headers', () => {
    expect(set.config.safeParse({}).success).toBe(false);
    expect(set.config.safeParse({ headers: {} }).success).toBe(false);
  });

  it('refuses an invalid header expression when the config is validated, at the header', () => {
    const issue = set.config.safeParse({ headers: { region: 'value.(' } }).error?.issues[0];
    expect(issue?.path).toEqual(['headers', 'region']);
    expect(issue?.message).toMatch(/^"value\.\(" is not a valid JSONata expression/);
  });
});
