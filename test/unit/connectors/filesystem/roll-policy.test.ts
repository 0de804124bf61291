import { describe, expect, it } from 'vitest';
import { ROLL_DEFAULTS, RollPolicy, rollSchema } from '../../../../connectors/filesystem/roll-policy.js';

const policy = new RollPolicy({ maxEvents: 10, maxBytes: 1000, maxAgeMs: 60_000 });
const file = (events: number, bytes: number, openedAt = 0) => ({ events, bytes, openedAt });

describe('roll policy', () => {
  it('has documented defaults, taken by `roll: {}`', () => {
    expect(rollSchema.parse({})).toEqual(ROLL_DEFAULTS);
    expect(ROLL_DEFAULTS).toEqual({ maxEvents: 100_000, maxBytes: 64 * 1024 * 1024, maxAgeMs: 60_000 });
    expect(rollSchema.parse(undefined)).toBeUndefined();
  });

  it('never splits a batch: finishes a file first when the batch would carry it past a limit', () => {
    expect(policy.beforeAdding(file(6, 100), 4, 100, 1)).toBeUndefined();
    expect(policy.beforeAdding(file(7, 100), 4, 100, 1)).toBe('events');
    expect(policy.beforeAdding(file(1, 900), 1, 101, 1)).toBe('bytes');
  });

  it('gives a batch larger than a limit a file of its own, finished at once', () => {
    expect(policy.beforeAdding(file(0, 0), 50, 5000, 1)).toBeUndefined();
    expect(policy.afterAdding(file(50, 5000), 1)).toBe('events');
    expect(policy.afterAdding(file(5, 5000), 1)).toBe('bytes');
  });

  it('finishes a file once it is maxAgeMs old, with or without more events', () => {
    expect(policy.afterAdding(file(1, 10, 1000), 60_999)).toBeUndefined();
    expect(policy.afterAdding(file(1, 10, 1000), 61_000)).toBe('age');
    expect(policy.beforeAdding(file(1, 10, 1000), 1, 10, 61_000)).toBe('age');
    expect(policy.dueAt(file(1, 10, 1000))).toBe(61_000);
  });

  it('never finishes an empty file', () => {
    expect(policy.afterAdding(file(0, 0, 0), 10_000_000)).toBeUndefined();
  });

  it('takes an open file as abandoned only well after its owner would have finished it', () => {
    expect(policy.isAbandoned(file(1, 10, 0), 60_000 + 60_000)).toBe(false);
    expect(policy.isAbandoned(file(1, 10, 0), 60_000 + 60_001)).toBe(true);
    const slow = new RollPolicy({ maxEvents: 10, maxBytes: 1000, maxAgeMs: 600_000 });
    expect(slow.isAbandoned(file(1, 10, 0), 1_000_000)).toBe(false);
    expect(slow.isAbandoned(file(1, 10, 0), 1_200_001)).toBe(true);
  });
});
