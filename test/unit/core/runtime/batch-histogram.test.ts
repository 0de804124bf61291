import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BatchHistogram } from '../../../../core/runtime/batch-histogram.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The same observations into prom-client's Histogram and into a BatchHistogram, each in a registry of its own. */
async function both(observations: Array<{ labels: Record<string, string>; value: number }>) {
  const ours = new Registry();
  const theirs = new Registry();
  const batch = new BatchHistogram('lat_seconds', 'Latency.', ['pipeline', 'sink'], BUCKETS, ours);
  const reference = new Histogram({
    name: 'lat_seconds',
    help: 'Latency.',
    labelNames: ['pipeline', 'sink'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  for (const o of observations) {
    batch.labels(o.labels).observe(o.value);
    reference.observe(o.labels, o.value);
  }
  return { ours, theirs, batch, reference };
}

describe('a histogram fed a batch at a time', () => {
  it('exposes what prom-client exposes for the same observations: on bounds, between, past the last, two series', async () => {
    const observations = [0, 0.005, 0.0051, 0.3, 1, 299.9, 300, 301, 1e6, 0.02, 7].flatMap((value, i) => [
      { labels: { pipeline: 'p', sink: 'a' }, value },
      { labels: { pipeline: i % 2 ? 'q' : 'p', sink: 'b "quoted"' }, value: value / 2 },
    ]);
    const { ours, theirs, batch, reference } = await both(observations);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // prom-client adds `exemplar: null` to each value (exemplars are off); nothing reads it but the OpenMetrics output.
    const withoutExemplars = <T extends { values: object[] }>(m: T) => ({
      ...m,
      values: m.values.map(({ exemplar: _, ...v }: { exemplar?: unknown }) => v),
    });
    expect(await batch.get()).toEqual(withoutExemplars(await reference.get()));
  });

  it('exposes nothing before the first observation, and nothing again after a reset', async () => {
    const { ours, theirs, batch, reference } = await both([]);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    batch.labels({ pipeline: 'p', sink: 'a' }).observe(1);
    ours.resetMetrics();
    reference.observe({ pipeline: 'p', sink: 'a' }, 1);
    theirs.resetMetrics();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
