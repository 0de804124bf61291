import { describe, expect, it } from 'vitest';
import { ReadAhead } from '../../../../connectors/sql/read-ahead.js';

describe('sql source read ahead', () => {
  it('gives the read to the poll from the checkpoint it was started for, once', async () => {
    const ahead = new ReadAhead<string>(100, () => 0);
    ahead.start('{"incrementing":10}', async () => 'rows after 10');
    expect(await ahead.take('{"incrementing":10}')).toBe('rows after 10');
    expect(ahead.take('{"incrementing":10}')).toBeUndefined();
  });

  it('drops the read when the poll comes from another checkpoint (the store failed, or was reset)', () => {
    const ahead = new ReadAhead<string>(100, () => 0);
    ahead.start('{"incrementing":10}', async () => 'rows after 10');
    expect(ahead.take('{"incrementing":5}')).toBeUndefined();
    expect(ahead.take('{"incrementing":10}')).toBeUndefined();
  });

  it('drops a read older than its age limit, so that a late poll reads afresh', () => {
    let now = 0;
    const ahead = new ReadAhead<string>(100, () => now);
    ahead.start('{"incrementing":10}', async () => 'rows after 10');
    now = 101;
    expect(ahead.take('{"incrementing":10}')).toBeUndefined();
  });

  it('leaves a failed read to the poll that takes it, and settles without throwing', async () => {
    const ahead = new ReadAhead<string>(100, () => 0);
    ahead.start('a', async () => {
      throw new Error('connection lost');
    });
    await expect(ahead.take('a')).rejects.toThrow('connection lost');
    ahead.start('b', async () => {
      throw new Error('connection lost');
    });
    await expect(ahead.settle()).resolves.toBeUndefined();
  });
});
