import { describe, expect, it } from 'vitest';
import filter from '../../../../plugins/transform/filter.js';
import { event, runProcessor } from '../run-processor.js';

describe('filter', () => {
  it('keeps the events for which the condition is true, in order', async () => {
    const batch = [20, 31, 45, 30].map((temp, i) => event({ temp }, { id: `0-${i}-0` }));
    const { events, rejected } = await runProcessor(filter, { where: 'value.temp > 30' }, batch);
    expect(rejected).toEqual([]);
    expect(events).toEqual([batch[1], batch[2]]);
  });

  it('drops events for which the condition selects nothing', async () => {
    const { events } = await runProcessor(filter, { where: 'value.temp > 30' }, [event({ speed: 1 }), event('text')]);
    expect(events).toEqual([]);
  });

  it('reads non-boolean results as JSONata $boolean does', async () => {
    const values = ['', 'x', 0, 3, [], [0, 1], {}, { a: 1 }, null];
    const { events } = await runProcessor(
      filter,
      { where: 'value.v' },
      values.map((v) => event({ v })),
    );
    expect(events.map((e) => (e.value as { v: unknown }).v)).toEqual(['x', 3, [0, 1], { a: 1 }]);
  });

  it('can test headers and keys', async () => {
    const { events } = await runProcessor(filter, { where: 'headers.region = "eu" and $contains(key, "car")' }, [
      event(1, { key: 'car-1', headers: { region: 'eu' } }),
      event(2, { key: 'car-2', headers: { region: 'us' } }),
      event(3, { key: 'bike-1', headers: { region: 'eu' } }),
    ]);
    expect(events.map((e) => e.value)).toEqual([1]);
  });

  it('rejects an event the condition fails on and keeps filtering the rest', async () => {
    const { events, rejected } = await runProcessor(filter, { where: '$number(value) > 1' }, [
      event('2'),
      event('two'),
      event('3'),
    ]);
    expect(events.map((e) => e.value)).toEqual(['2', '3']);
    expect(rejected.map((r) => r.event.value)).toEqual(['two']);
    expect(rejected[0].error).toMatchObject({ kind: 'record', code: 'E_EXPRESSION' });
  });

  it('refuses an invalid condition when the config is validated, quoting it and where it breaks', () => {
    expect(filter.config.safeParse({ where: 'value.temp > 30 and' }).error?.issues[0]?.message).toMatch(
      /^"value\.temp > 30 and" is not a valid JSONata expression.*position 19/,
    );
  });
});
