// The console's history turns the engine's counters into rates per interval and its latency histogram into a
// p99 per interval, and reads lag from storage.
import { describe, expect, it } from 'vitest';
import { MetricHistory, p99 } from '../../../../../core/admin/console/metric-history.js';
import type { LoadedConfig } from '../../../../../core/config/pipeline-spec.js';
import type { WorkerEventCounts, WorkerInfo } from '../../../../../core/queue/worker-registry.js';
import { Metrics } from '../../../../../core/runtime/metrics.js';
import { MemoryStorage } from '../../../../../core/storage/memory.js';

/** A worker's heartbeat as the console reads it, with the counts it carries. */
const heartbeat = (id: string, seenAt: number, events: WorkerEventCounts): WorkerInfo => ({
  id,
  host: 'h',
  pid: 1,
  startedAt: 0,
  version: 'x',
  jobs: [],
  seenAt,
  events,
});

/** A history over a fleet whose live workers are whatever `workers()` gives at each sample. */
const fleetHistory = (workers: () => WorkerInfo[]) =>
  new MetricHistory({
    registry: () => new Metrics().registry,
    storage: new MemoryStorage(),
    config: { pipelines: [] } as unknown as LoadedConfig,
    workers: async () => workers(),
  });

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

  it("sums the rates of every live worker's heartbeat counts, so a fleet's console shows the fleet", async () => {
    const beat = (id: string, seenAt: number, stored: number, delivered: number) =>
      heartbeat(id, seenAt, { in: { in: stored }, out: { 'out.archive': delivered } });
    let workers: WorkerInfo[] = [beat('w1', 1000, 0, 0), beat('w2', 1500, 100, 100)];
    const history = fleetHistory(() => workers);
    await history.sample();
    await history.sample();
    // One heartbeat each so far: no rate yet.
    expect(history.latest()).toEqual(expect.objectContaining({ in: {}, out: {} }));
    // w1: 300 stored and 150 delivered in 3 s; w2: 600 stored in 3 s and nothing delivered.
    workers = [beat('w1', 4000, 300, 150), beat('w2', 4500, 700, 100)];
    await history.sample();
    expect(history.latest()).toEqual(expect.objectContaining({ in: { in: 300 }, out: { 'out.archive': 50 } }));
    // No new heartbeat: each worker's rate holds. A worker gone from the fleet no longer counts.
    await history.sample();
    expect(history.latest()?.in).toEqual({ in: 300 });
    workers = [beat('w2', 7500, 1000, 100)];
    await history.sample();
    expect(history.latest()).toEqual(expect.objectContaining({ in: { in: 100 }, out: { 'out.archive': 0 } }));
  });

  it("takes the fleet's p99 from every live worker's observations between its last two heartbeats", async () => {
    // Cumulative counts by bucket bound, as a heartbeat carries them.
    const beat = (id: string, seenAt: number, fast: number, slow: number) =>
      heartbeat(id, seenAt, {
        in: {},
        out: {},
        latency: { 'out.archive': { '0.01': fast, '1': fast + slow, '+Inf': fast + slow } },
      });
    // Before the first heartbeats, w2 had been slow for a while: that is not in the next interval.
    let workers = [beat('w1', 1000, 0, 0), beat('w2', 1000, 0, 500)];
    const history = fleetHistory(() => workers);
    await history.sample();
    await history.sample();
    // Then w1 delivers 100 events within 10 ms and w2 5 events within 1 s: 5 of 105 are slow, more than 1%.
    workers = [beat('w1', 4000, 100, 0), beat('w2', 4000, 0, 505)];
    await history.sample();
    expect(history.latest()?.p99).toEqual({ 'out.archive': 1 });
    // Next, w2 delivers nothing slow and w1 another 100 fast: the fleet's p99 is fast again.
    workers = [beat('w1', 7000, 200, 0), beat('w2', 7000, 0, 505)];
    await history.sample();
    expect(history.latest()?.p99).toEqual({ 'out.archive': 0.01 });
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
