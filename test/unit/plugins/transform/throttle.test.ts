import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import throttle from '../../../../plugins/transform/throttle.js';
import { createProcessor, event, processFrozen } from '../run-processor.js';

const many = (n: number) => Array.from({ length: n }, (_, i) => event(i));

describe('throttle', () => {
  it('in drop mode passes up to the limit and drops the rest of the period', async () => {
    const instance = await createProcessor(throttle, { limit: 3, per: '1s', mode: 'drop' });
    expect((await processFrozen(instance, many(5))).events.map((e) => e.value)).toEqual([0, 1, 2]);
    expect((await processFrozen(instance, many(5))).events).toEqual([]);
  });

  it('in drop mode lets events through again as the period goes by', async () => {
    const instance = await createProcessor(throttle, { limit: 2, per: '100ms', mode: 'drop' });
    expect((await processFrozen(instance, many(4))).events).toHaveLength(2);
    await sleep(130);
    expect((await processFrozen(instance, many(4))).events).toHaveLength(2);
  });

  it('in delay mode (the default) holds a batch until it fits the rate and loses nothing', async () => {
    const instance = await createProcessor(throttle, { limit: 10, per: '400ms' });
    let started = performance.now();
    expect((await processFrozen(instance, many(10))).events).toHaveLength(10);
    expect(performance.now() - started).toBeLessThan(200);
    started = performance.now();
    expect((await processFrozen(instance, many(10))).events).toHaveLength(10);
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
  });

  it('in delay mode holds a batch larger than the limit for as many periods as it needs', async () => {
    const instance = await createProcessor(throttle, { limit: 5, per: '50ms' });
    const started = performance.now();
    expect((await processFrozen(instance, many(20))).events).toHaveLength(20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('gives a waiting batch back as retryable on shutdown', async () => {
    const controller = new AbortController();
    const instance = await createProcessor(throttle, { limit: 1, per: '10s' }, { signal: controller.signal });
    await processFrozen(instance, many(1));
    const waiting = processFrozen(instance, many(1));
    setTimeout(() => controller.abort(), 20);
    await expect(waiting).rejects.toMatchObject({ kind: 'retryable', code: 'E_THROTTLE_ABORTED' });
  });

  it('defaults to one-second periods', () => {
    expect(throttle.config.parse({ limit: 5 })).toEqual({ limit: 5, per: 1000, mode: 'delay' });
  });
});
