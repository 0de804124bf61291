import { describe, expect, it } from 'vitest';
import sample from '../../../../plugins/transform/sample.js';
import { createProcessor, event, processFrozen, runProcessor } from '../run-processor.js';

const many = (n: number, key?: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => event(i, { key: key ? key(i) : null }));

describe('sample', () => {
  it('keeps everything at rate 1 and nothing at rate 0', async () => {
    expect((await runProcessor(sample, { rate: 1 }, many(100))).events).toHaveLength(100);
    expect((await runProcessor(sample, { rate: 0 }, many(100))).events).toHaveLength(0);
  });

  it('keeps about the given fraction at random, in order', async () => {
    const { events } = await runProcessor(sample, { rate: 0.25 }, many(20_000));
    expect(events.length).toBeGreaterThan(4_500);
    expect(events.length).toBeLessThan(5_500);
    const values = events.map((e) => e.value as number);
    expect(values).toEqual([...values].sort((a, b) => a - b));
  });

  it('by a key, keeps all or none of the events of a key, the same way on every instance', async () => {
    const batch = many(20_000, (i) => `car-${i % 2_000}`);
    const a = await runProcessor(sample, { rate: 0.1, by: 'key' }, batch);
    const b = await runProcessor(sample, { rate: 0.1, by: 'key' }, batch);
    expect(b.events).toEqual(a.events);
    const keptKeys = new Set(a.events.map((e) => e.key));
    expect(keptKeys.size).toBeGreaterThan(150);
    expect(keptKeys.size).toBeLessThan(250);
    expect(a.events).toHaveLength(keptKeys.size * 10);
  });

  it('samples events without a value for `by` at random', async () => {
    const instance = await createProcessor(sample, { rate: 0.5, by: 'value.user' });
    const { events } = await processFrozen(instance, many(2_000));
    expect(events.length).toBeGreaterThan(800);
    expect(events.length).toBeLessThan(1_200);
  });

  it('refuses rates outside 0..1', () => {
    expect(sample.config.safeParse({ rate: 1.5 }).success).toBe(false);
    expect(sample.config.safeParse({ rate: -0.1 }).success).toBe(false);
  });
});
