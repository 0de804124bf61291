import { describe, expect, it } from 'vitest';
import { checkEvents, checkTopicName, readPartitions } from '../../../../core/storage/contract-checks.js';

describe('storage contract checks', () => {
  it('refuses topic names that would break the Redis Cluster hash tag or a command line', () => {
    for (const name of ['gps', 'orders.v2', 'a-b_c', 'dlq:orders', 'ünï'])
      expect(() => checkTopicName(name)).not.toThrow();
    for (const name of ['', 'a{b', 'a}b', 'a b', 'tab\t', 'x'.repeat(201)]) {
      expect(() => checkTopicName(name)).toThrow(expect.objectContaining({ kind: 'config', code: 'E_TOPIC_NAME' }));
    }
  });

  it('names the event of a batch that cannot be stored and why', () => {
    const good = { key: null, value: 1, ts: 1, headers: {} };
    expect(() => checkEvents('gps', [good, { ...good, headers: { a: 1 as unknown as string } }])).toThrow(
      /event 1 of the batch cannot be stored: a header value is not a string/,
    );
    expect(() => checkEvents('gps', [{ ...good, key: 5 as unknown as string }])).toThrow(/key is a number/);
  });

  it('reads the partition an id bound names when none is given', () => {
    expect(readPartitions('gps', 4, {})).toEqual([0, 1, 2, 3]);
    expect(readPartitions('gps', 4, { afterId: '2-1700000000000-0' })).toEqual([2]);
    expect(readPartitions('gps', 4, { partition: 1 })).toEqual([1]);
    expect(() => readPartitions('gps', 4, { partition: 4 })).toThrow(/there is no partition 4/);
    expect(() => readPartitions('gps', 4, { fromId: 'nonsense' })).toThrow(/not an event id/);
  });
});
