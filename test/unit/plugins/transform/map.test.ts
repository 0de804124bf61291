import { describe, expect, it } from 'vitest';
import map from '../../../../plugins/transform/map.js';
import { event, runProcessor } from '../run-processor.js';

describe('map', () => {
  it('replaces each value with the result of the expression over the event', async () => {
    const { events, rejected } = await runProcessor(
      map,
      { expression: '{ "car": value.carId, "kmh": value.speed * 3.6 }' },
      [
        event({ carId: 'c1', speed: 10 }, { key: 'k', headers: { a: 'b' }, id: '0-1-0' }),
        event({ carId: 'c2', speed: 0 }),
      ],
    );
    expect(rejected).toEqual([]);
    expect(events).toEqual([
      event({ car: 'c1', kmh: 36 }, { key: 'k', headers: { a: 'b' }, id: '0-1-0' }),
      event({ car: 'c2', kmh: 0 }),
    ]);
  });

  it('sees the key, the event time and the headers next to the value', async () => {
    const { events } = await runProcessor(map, { expression: '[key, ts, headers.region]' }, [
      event(1, { key: 'car-7', ts: 42, headers: { region: 'eu' } }),
    ]);
    expect(events[0].value).toEqual(['car-7', 42, 'eu']);
  });

  it('returns plain arrays, without JSONata markers, even for filtered selections', async () => {
    const { events } = await runProcessor(map, { expression: 'value.readings[$ > 1]' }, [
      event({ readings: [1, 2, 3] }),
    ]);
    expect(events[0].value).toEqual([2, 3]);
    expect(Object.keys(events[0].value as object)).toEqual(['0', '1']);
  });

  it('keeps singleton arrays with [] without touching the frozen input', async () => {
    const input = event({ items: [{ a: 1 }] });
    const { events, rejected } = await runProcessor(map, { expression: 'value.items[]' }, [input]);
    expect(rejected).toEqual([]);
    expect(events[0].value).toEqual([{ a: 1 }]);
    expect(Object.keys((input.value as { items: object }).items)).toEqual(['0']);
  });

  it('rejects an event for which the expression selects nothing, by default', async () => {
    const { events, rejected } = await runProcessor(map, { expression: 'value.missing' }, [event({ a: 1 })]);
    expect(events).toEqual([]);
    expect(rejected[0].error).toMatchObject({ kind: 'record', code: 'E_MAP_MISSING' });
    expect(rejected[0].error.message).toContain('value.missing');
  });

  it('drops or nulls such events when whenMissing says so', async () => {
    const drop = await runProcessor(map, { expression: 'value.missing', whenMissing: 'drop' }, [event({ a: 1 })]);
    expect(drop).toEqual({ events: [], rejected: [] });
    const nulls = await runProcessor(map, { expression: 'value.missing', whenMissing: 'null' }, [event({ a: 1 })]);
    expect(nulls.events).toEqual([event(null)]);
  });

  it('rejects only the events the expression fails on, with the JSONata reason, and maps the others', async () => {
    const { events, rejected } = await runProcessor(map, { expression: 'value.n + 1' }, [
      event({ n: 1 }),
      event({ n: 'one' }),
      event({ n: 2 }),
    ]);
    expect(events.map((e) => e.value)).toEqual([2, 3]);
    expect(rejected).toHaveLength(1);
    expect(rejected[0].event.value).toEqual({ n: 'one' });
    expect(rejected[0].error).toMatchObject({ kind: 'record', code: 'E_EXPRESSION' });
    expect(rejected[0].error.message).toMatch(/value\.n \+ 1.*position \d+.*must evaluate to a number/);
  });

  it('rejects a result that is a function rather than a value', async () => {
    const { rejected } = await runProcessor(map, { expression: 'function($x) { $x }' }, [event(1)]);
    expect(rejected[0].error).toMatchObject({ kind: 'record', code: 'E_EXPRESSION_RESULT' });
  });

  it('refuses an invalid expression when the config is validated, quoting it and where it breaks', () => {
    expect(map.config.safeParse({ expression: 'value.temp >' }).error?.issues[0]?.message).toMatch(
      /^"value\.temp >" is not a valid JSONata expression: .*at position 12/,
    );
  });

  it('passes bytes through when the expression selects the value itself', async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const { events } = await runProcessor(map, { expression: 'value' }, [event(bytes)]);
    expect(events[0].value).toEqual(bytes);
  });
});
