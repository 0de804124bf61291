// The console's history turns the engine's counters into rates per interval and its latency histogram into a
// p99 per interval, and reads lag from storage.
import { describe, expect, it } from 'vitest';
import { MetricHistory, p99 } from '../../../../../core/admin/console/metric-history.js';
import type { LoadedConfig } from '../../../../../core/config/pipeline-spec.js';
import { Metrics } from '../../../../../core/runtime/metrics.js';
import { MemoryStorage } from '../../../../../core/storage/memory.js';

describe('the console metric history', () => {
  it('gives events in and out per second over each interval, and the lag of each subscription', async () => {
    const metrics = new Metrics();
    const storage = new MemoryStorage();
    await storage.ensureTopic({ name: 'orders', partitions: 1 });
    const config = {
      pipelines: [{ name: 'out', topic: 'orders', sinks: [{ subscription: 'out.archive' }] }],
    } as unknown as LoadedConfig;
    await storage.ensureSubscription('orders', 'out.archive', 'beginning');
    await storage.append('orders', [{ key: 'a', value: 1, ts: 0, headers: {} }]);
    const history = new MetricHistory({ registry: () => metrics.registry, storage, config });
    await history.sample();
    expect(history.latest()).toBeUndefined();
    metrics.stored('in', 'source', [
      { key: 'a', value: 1, ts: 0, headers: {} },
      { key: 'b', value: 2, ts: 0, headers: {} },
    ]);
    metrics.delivered('out', 'archive', { accepted: [], stored: [], seconds: 0.01 });
    await new Promise((r) => setTimeout(r, 200));
    await history.sample();
    const sample = history.latest()!;
    expect(sample.in.in).toBeGreaterThan(2);
    expect(sample.in.in).toBeLessThan(2 / 0.19);
    expect(sample.out['out.archive']).toBe(0);
    expect(sample.lag).toEqual({ 'out.archive': 1 });
    expect(history.since(sample.t)).toEqual([]);
    expect(history.since(0)).toEqual([sample]);
  });

  it('takes the p99 from the observations of the interval only', () => {
    const before = new Map([
      [0.1, 100],
      [1, 100],
      [Number.POSITIVE_INFINITY, 100],
    ]);
    const now = new Map([
      [0.1, 199],
      [1, 200],
      [Number.POSITIVE_INFINITY, 200],
    ]);
    expect(p99(before, now)).toBe(0.1);
    expect(p99(now, now)).toBeNull();
    expect(
      p99(
        undefined,
        new Map([
          [0.1, 0],
          [1, 0],
          [Number.POSITIVE_INFINITY, 3],
        ]),
      ),
    ).toBe(1);
  });
});
