import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../../core/storage/storage.js';
import { mergeInStoredOrder } from '../../../../core/storage/stored-order.js';

const at = (partition: number, streamId: string): StoredEvent => ({
  key: null,
  value: `${partition}-${streamId}`,
  ts: 0,
  headers: {},
  id: `${partition}-${streamId}`,
  partition,
});

describe('mergeInStoredOrder', () => {
  it('merges partitions by stored time, then sequence, then partition, up to the limit', () => {
    const p0 = [at(0, '100-0'), at(0, '100-1'), at(0, '300-0')];
    const p1 = [at(1, '99-5'), at(1, '100-1'), at(1, '200-0')];
    const p2: StoredEvent[] = [];
    expect(mergeInStoredOrder([p0, p1, p2], Number.POSITIVE_INFINITY).map((e) => e.id)).toEqual([
      '1-99-5',
      '0-100-0',
      '0-100-1',
      '1-100-1',
      '1-200-0',
      '0-300-0',
    ]);
    expect(mergeInStoredOrder([p0, p1], 2).map((e) => e.id)).toEqual(['1-99-5', '0-100-0']);
  });

  it('compares times as numbers, not text', () => {
    expect(mergeInStoredOrder([[at(0, '1000-0')], [at(1, '999-0')]], 10).map((e) => e.id)).toEqual([
      '1-999-0',
      '0-1000-0',
    ]);
  });
});
