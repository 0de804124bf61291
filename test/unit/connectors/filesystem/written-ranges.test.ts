import { describe, expect, it } from 'vitest';
import { MAX_RANGES, WrittenRangeStore, WrittenRanges } from '../../../../connectors/filesystem/written-ranges.js';
import { testPluginContext } from '../../../conformance/plugin-context.js';

describe('written ranges', () => {
  it('skips ids inside a stored range, compared as numbers, not as text', () => {
    const ranges = new WrittenRanges([['0-999-0', '0-1000-5']]);
    expect(ranges.has('0-999-0')).toBe(true);
    expect(ranges.has('0-999-99')).toBe(true);
    expect(ranges.has('0-1000-5')).toBe(true);
    expect(ranges.has('0-1000-6')).toBe(false);
    expect(ranges.has('0-998-9')).toBe(false);
    expect(ranges.has('0-10000-0')).toBe(false);
  });

  it('keeps a gap between batches open: a batch retried after later ones is still written', () => {
    const ranges = new WrittenRanges();
    ranges.add('0-30-0', '0-39-0');
    ranges.add('0-10-0', '0-19-0');
    expect(ranges.has('0-25-0')).toBe(false);
    expect(ranges.toJSON()).toEqual([
      ['0-10-0', '0-19-0'],
      ['0-30-0', '0-39-0'],
    ]);
  });

  it('merges overlapping ranges and keeps the most recent ones', () => {
    const ranges = new WrittenRanges([
      ['0-10-0', '0-20-0'],
      ['0-15-0', '0-30-0'],
    ]);
    expect(ranges.toJSON()).toEqual([['0-10-0', '0-30-0']]);
    for (let i = 0; i < MAX_RANGES + 5; i++) ranges.add(`0-${100 + 2 * i}-0`, `0-${100 + 2 * i}-0`);
    expect(ranges.toJSON()).toHaveLength(MAX_RANGES);
    expect(ranges.has('0-20-0')).toBe(false);
    expect(ranges.has(`0-${100 + 2 * (MAX_RANGES + 4)}-0`)).toBe(true);
  });

  it('never skips events without stored ids', () => {
    const ranges = new WrittenRanges([['a', 'z']]);
    expect(ranges.has('m')).toBe(false);
    expect(ranges.has(undefined)).toBe(false);
  });

  it('are kept per partition in the component state, for every instance', async () => {
    const { state } = testPluginContext();
    await new WrittenRangeStore(state).record('0', '0-5-0', '0-9-0');
    expect((await new WrittenRangeStore(state).load('0')).has('0-7-0')).toBe(true);
    expect((await new WrittenRangeStore(state).load('1')).has('1-7-0')).toBe(false);
  });

  it('keeps every range when several workers record ranges of one partition at once', async () => {
    const { state } = testPluginContext();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        new WrittenRangeStore(state).record('0', `0-${i * 10}-0`, `0-${i * 10 + 5}-0`),
      ),
    );
    expect((await new WrittenRangeStore(state).load('0')).toJSON()).toHaveLength(20);
  });
});
