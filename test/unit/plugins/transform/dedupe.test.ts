import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import dedupe from '../../../../plugins/transform/dedupe.js';
import { testPluginContext } from '../../../conformance/plugin-context.js';
import { createProcessor, event, processFrozen, runProcessor } from '../run-processor.js';

describe('dedupe', () => {
  it('passes the first event of each key and drops repeats within the window, across batches', async () => {
    const instance = await createProcessor(dedupe, { by: 'key', window: '10m' });
    const first = await processFrozen(instance, [
      event(1, { key: 'a' }),
      event(2, { key: 'b' }),
      event(3, { key: 'a' }),
    ]);
    expect(first.events.map((e) => e.value)).toEqual([1, 2]);
    const second = await processFrozen(instance, [event(4, { key: 'b' }), event(5, { key: 'c' })]);
    expect(second.events.map((e) => e.value)).toEqual([5]);
  });

  it('dedupes by any expression over the event', async () => {
    const { events } = await runProcessor(dedupe, { by: 'value.orderId & "/" & headers.shop', window: 60_000 }, [
      event({ orderId: 1 }, { headers: { shop: 'x' } }),
      event({ orderId: 1 }, { headers: { shop: 'y' } }),
      event({ orderId: 1, note: 'again' }, { headers: { shop: 'x' } }),
    ]);
    expect(events.map((e) => e.headers.shop)).toEqual(['x', 'y']);
  });

  it('lets a value through again once its window has passed', async () => {
    const instance = await createProcessor(dedupe, { window: '40ms' });
    expect((await processFrozen(instance, [event(1, { key: 'a' })])).events).toHaveLength(1);
    expect((await processFrozen(instance, [event(2, { key: 'a' })])).events).toHaveLength(0);
    await sleep(60);
    expect((await processFrozen(instance, [event(3, { key: 'a' })])).events).toHaveLength(1);
  });

  it('still passes a stored event that is delivered again (a retried batch)', async () => {
    const instance = await createProcessor(dedupe, { window: '10m' });
    const batch = [event(1, { key: 'a', id: '0-1-0' }), event(2, { key: 'a', id: '0-2-0' })];
    expect((await processFrozen(instance, batch)).events.map((e) => e.id)).toEqual(['0-1-0']);
    expect((await processFrozen(instance, batch)).events.map((e) => e.id)).toEqual(['0-1-0']);
  });

  it('shares what it has seen between instances on the same state (workers of a fleet)', async () => {
    const context = testPluginContext({ mode: 'fleet' });
    const workerA = await createProcessor(dedupe, { window: '10m' }, context);
    const workerB = await createProcessor(dedupe, { window: '10m' }, context);
    expect((await processFrozen(workerA, [event(1, { key: 'a' })])).events).toHaveLength(1);
    expect((await processFrozen(workerB, [event(2, { key: 'a' }), event(3, { key: 'b' })])).events).toEqual([
      event(3, { key: 'b' }),
    ]);
  });

  it('rejects events without a value to dedupe by, unless whenMissing says keep or drop', async () => {
    const batch = [event(1), event(2, { key: 'a' })];
    const rejecting = await runProcessor(dedupe, { window: '1m' }, batch);
    expect(rejecting.events.map((e) => e.value)).toEqual([2]);
    expect(rejecting.rejected[0].error).toMatchObject({ kind: 'record', code: 'E_DEDUPE_MISSING' });
    expect(
      (await runProcessor(dedupe, { window: '1m', whenMissing: 'keep' }, [event(1), event(2)])).events,
    ).toHaveLength(2);
    expect((await runProcessor(dedupe, { window: '1m', whenMissing: 'drop' }, batch)).events).toEqual([batch[1]]);
  });

  it('reads windows as text durations or milliseconds and refuses others', () => {
    const windowOf = (window: unknown) => (dedupe.config.parse({ window }) as { window: number }).window;
    expect(windowOf('5m')).toBe(300_000);
    expect(windowOf('500ms')).toBe(500);
    expect(windowOf(1500)).toBe(1500);
    expect(dedupe.config.safeParse({ window: 'soon' }).success).toBe(false);
    expect(dedupe.config.safeParse({ window: 0 }).success).toBe(false);
    expect(dedupe.config.safeParse({}).success).toBe(false);
  });
});
