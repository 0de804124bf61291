import { describe, expect, it } from 'vitest';
import type { SluiceEvent } from '../../../../core/event.js';
import { Metrics } from '../../../../core/runtime/metrics.js';

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
