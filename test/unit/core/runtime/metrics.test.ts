import { describe, expect, it } from 'vitest';
import type { SluiceEvent } from '../../../../core/event.js';
import { Metrics } from '../../../../core/runtime/metrics.js';
import type { StoredEvent } from '../../../../core/storage/storage.js';

const event = (value: SluiceEvent['value']): SluiceEvent => ({ key: null, value, ts: 0, headers: {} });

async function bytesIn(metrics: Metrics): Promise<number> {
  const metric = await metrics.registry.getSingleMetric('sluice_bytes_in_total')?.get();
  return metric?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
}

describe('the bytes counters', () => {
  it('count bytes and text exactly, and small batches of structured values by their JSON size', async () => {
    const metrics = new Metrics();
    const values = [new Uint8Array(7), 'hello', { a: 1, b: 'two' }, [1, 2, 3], 42, null];
    metrics.stored('p', 'source', values.map(event));
    const json = values.slice(2).reduce<number>((n, v) => n + JSON.stringify(v).length, 0);
    expect(await bytesIn(metrics)).toBe(7 + 5 + json);
  });

  it('count a large batch of structured values of one shape as their JSON size', async () => {
    const metrics = new Metrics();
    const values = Array.from({ length: 1000 }, (_, i) => ({ device: `dev-${i % 10}`, seq: i % 10, note: 'north' }));
    metrics.stored('p', 'source', values.map(event));
    expect(await bytesIn(metrics)).toBe(values.reduce((n, v) => n + JSON.stringify(v).length, 0));
  });

  it('estimate many large batches of mixed structured values within a tenth of their JSON size', async () => {
    const metrics = new Metrics();
    const values = Array.from({ length: 999 }, (_, i) => ({ seq: i, note: 'x'.repeat((i * 7919) % 300) }));
    const batch = [event(new Uint8Array(100)), ...values.map(event)];
    for (let i = 0; i < 50; i++) metrics.stored('p', 'source', batch);
    const exact = 50 * (100 + values.reduce((n, v) => n + JSON.stringify(v).length, 0));
    const counted = await bytesIn(metrics);
    expect(Math.abs(counted - exact) / exact).toBeLessThan(0.1);
  });
});

describe('the end-to-end latency histogram', () => {
  const stored = (id: string): StoredEvent => ({ ...event('x'), id, partition: Number(id.split('-')[0]) });

  /** The histogram's lines of the exposition text, as /metrics serves it. */
  async function latency(metrics: Metrics) {
    const text = await metrics.registry.metrics();
    const line = (prefix: string) => {
      const found = text.split('\n').find((l) => l.startsWith(prefix));
      return found === undefined ? undefined : Number(found.slice(found.lastIndexOf(' ') + 1));
    };
    const name = 'sluice_end_to_end_latency_seconds';
    return {
      count: line(`${name}_count{`),
      sum: line(`${name}_sum{`),
      under10ms: line(`${name}_bucket{le="0.01",`),
      under1s: line(`${name}_bucket{le="1",`),
    };
  }

  it('observes every delivered event once, by the time in its id', async () => {
    const now = Date.now();
    // Partitions of one and two digits, and an id of another shape (not observed).
    const ids = [
      `0-${now - 2000}-0`,
      `0-${now - 2000}-1`,
      `0-${now - 2000}-2`,
      `1-${now - 2000}-0`,
      `0-${now - 2}-0`,
      `0-${now - 2}-1`,
      `10-${now - 2}-0`,
      `0-${now - 2000}-3`,
      'not-an-id',
      '0-12x-1',
    ];
    const metrics = new Metrics();
    metrics.delivered('p', 's', { accepted: [], stored: ids.map(stored), seconds: 0 });
    const { count, sum, under10ms, under1s } = await latency(metrics);
    expect(count).toBe(8);
    expect(under10ms).toBe(3);
    expect(under1s).toBe(3);
    // Five events about 2 s old and three about 2 ms old (give or take the time the call took).
    expect(sum).toBeGreaterThanOrEqual(5 * 2 + 3 * 0.002);
    expect(sum).toBeLessThan(5 * 2.5 + 3 * 0.5);
  });
});
