import { describe, expect, it } from 'vitest';
import { decodeAppendRecord } from '../../../../core/storage/redis-scripts.js';

describe('append record of the Redis append script', () => {
  it('gives each event its id, in the order the events were appended', () => {
    // Events 0..4 went to partitions 1, 0, 1, 1, 0.
    expect(decodeAppendRecord('1,0,1,1,0|1:1700000000000:5:3|0:1700000000000:0:2')).toEqual([
      '1-1700000000000-5',
      '0-1700000000000-0',
      '1-1700000000000-6',
      '1-1700000000000-7',
      '0-1700000000000-1',
    ]);
  });

  it('follows a partition across segments where its ids were not consecutive', () => {
    expect(decodeAppendRecord('0,0,0,0|0:1700000000000:9:2|0:1700000000001:0:2')).toEqual([
      '0-1700000000000-9',
      '0-1700000000000-10',
      '0-1700000000001-0',
      '0-1700000000001-1',
    ]);
  });

  it('is empty for an append of no events', () => {
    expect(decodeAppendRecord('')).toEqual([]);
  });
});
