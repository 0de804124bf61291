import { describe, expect, it } from 'vitest';
import split from '../../../../plugins/transform/split.js';
import { event, runProcessor } from '../run-processor.js';

describe('split', () => {
  it('turns each element of the array into an event with the key, time and headers of the original', async () => {
    const { events } = await runProcessor(split, { path: 'value.readings' }, [
      event({ readings: [{ t: 1 }, { t: 2 }] }, { key: 'k', ts: 5, headers: { h: 'v' } }),
    ]);
    expect(events).toEqual([
      event({ t: 1 }, { key: 'k', ts: 5, headers: { h: 'v' } }),
      event({ t: 2 }, { key: 'k', ts: 5, headers: { h: 'v' } }),
    ]);
  });

  it('splits the value itself by default', async () => {
    const { events } = await runProcessor(split, {}, [event([1, 2, 3]), event([4])]);
    expect(events.map((e) => e.value)).toEqual([1, 2, 3, 4]);
  });

  it('gives each part an id of its own derived from the stored id', async () => {
    const { events } = await runProcessor(split, {}, [event(['a', 'b'], { id: '2-1700-0' })]);
    expect(events.map((e) => e.id)).toEqual(['2-1700-0:0', '2-1700-0:1']);
  });

  it('records the position of each part in a header when asked', async () => {
    const { events } = await runProcessor(split, { indexHeader: 'part' }, [event(['a', 'b'], { headers: { x: 'y' } })]);
    expect(events.map((e) => e.headers)).toEqual([
      { x: 'y', part: '0' },
      { x: 'y', part: '1' },
    ]);
  });

  it('gives no events for an empty or missing array and one event for a single value', async () => {
    const { events, rejected } = await runProcessor(split, { path: 'value.items' }, [
      event({ items: [] }),
      event({}),
      event({ items: 'only' }),
    ]);
    expect(rejected).toEqual([]);
    expect(events.map((e) => e.value)).toEqual(['only']);
  });

  it('keeps nested arrays whole as the value of one part', async () => {
    const { events } = await runProcessor(split, {}, [event([[1, 2], [3]])]);
    expect(events.map((e) => e.value)).toEqual([[1, 2], [3]]);
  });
});
