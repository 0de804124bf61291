import { describe, expect, it } from 'vitest';
import generate, { createGenerateSource, generateConfig } from '../../../../connectors/generate/source.js';
import type { PollResult, PollSource } from '../../../../core/plugin.js';
import { testPluginContext } from '../../../conformance/plugin-context.js';

const config = (input: Record<string, unknown>) => generateConfig.parse(input);

/** Polls like the runtime does: each poll gets the checkpoint of the one before. */
async function drain(source: PollSource, checkpoint?: unknown, maxPolls = 1000) {
  const results: PollResult[] = [];
  let cp = checkpoint;
  for (let i = 0; i < maxPolls; i++) {
    const r = await source.poll(cp);
    results.push(r);
    cp = r.checkpoint;
    if (r.done) break;
  }
  return { results, events: results.flatMap((r) => r.events), checkpoint: cp };
}

describe('generate source', () => {
  it('makes 10 GPS positions for three cars and is then done, with no config at all', async () => {
    const source = await generate.create(generate.config.parse({ rate: 0 }), testPluginContext());
    const { events, results, checkpoint } = await drain(source as PollSource);
    expect(events).toHaveLength(10);
    expect(new Set(events.map((e) => e.key))).toEqual(new Set(['car_id_1', 'car_id_2', 'car_id_3']));
    for (const e of events) {
      expect(e.value).toEqual([expect.any(Number), expect.any(Number)]);
      const [lat, lon] = e.value as number[];
      expect(lat).toBeCloseTo(43.82, 0);
      expect(lon).toBeCloseTo(-79.48, 0);
    }
    expect(results.at(-1)?.done).toBe(true);
    expect(checkpoint).toEqual({ generated: 10 });
  });

  it('gives each preset its shape: temperatures, blood pressure with an earlier event time, sequence numbers', async () => {
    const now = Date.now();
    const temperature = await drain(
      createGenerateSource(config({ preset: 'temperature', rate: 0 }), testPluginContext()),
    );
    expect(temperature.events[0].key).toBe('room_1');
    for (const e of temperature.events) expect(e.value).toBeTypeOf('number');

    const pressure = await drain(
      createGenerateSource(config({ preset: 'blood-pressure', rate: 0 }), testPluginContext(), () => now),
    );
    expect(pressure.events[0].key).toBe('patient_id_1');
    for (const e of pressure.events) {
      const [systolic, diastolic] = e.value as number[];
      expect(systolic).toBeGreaterThan(diastolic);
      expect(e.ts).toBeLessThanOrEqual(now);
      expect(e.ts).toBeGreaterThanOrEqual(now - 60_000);
    }

    const sequence = await drain(
      createGenerateSource(config({ preset: 'sequence', rate: 0, count: 5, keys: 2 }), testPluginContext()),
    );
    expect(sequence.events.map((e) => [e.key, e.value])).toEqual([
      ['key_1', { seq: 1 }],
      ['key_2', { seq: 2 }],
      ['key_1', { seq: 3 }],
      ['key_2', { seq: 4 }],
      ['key_1', { seq: 5 }],
    ]);
  });

  it('gives the same keys and values for the same seed, and other values for another seed', async () => {
    const run = async (seed: number) =>
      (await drain(createGenerateSource(config({ rate: 0, count: 20, seed }), testPluginContext()))).events.map((e) => [
        e.key,
        e.value,
      ]);
    expect(await run(7)).toEqual(await run(7));
    expect(await run(7)).not.toEqual(await run(8));
  });

  it('continues from its checkpoint after a restart, with count a total across restarts', async () => {
    const whole = await drain(
      createGenerateSource(config({ preset: 'sequence', rate: 0, count: 250 }), testPluginContext()),
    );
    const first = createGenerateSource(
      config({ preset: 'sequence', rate: 0, count: 250, batchSize: 100 }),
      testPluginContext(),
    );
    const part = await first.poll(undefined);
    expect(part.events).toHaveLength(100);
    expect(part.hasMore).toBe(true);
    const restarted = createGenerateSource(config({ preset: 'sequence', rate: 0, count: 250 }), testPluginContext());
    const rest = await drain(restarted, part.checkpoint);
    const values = [...part.events, ...rest.events].map((e) => (e.value as { seq: number }).seq);
    expect(values).toEqual(whole.events.map((e) => (e.value as { seq: number }).seq));
    expect(values).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
  });

  it('says it is done, with no events, when polled after its count was reached', async () => {
    const source = createGenerateSource(config({ count: 3 }), testPluginContext());
    expect(await source.poll({ generated: 3 })).toEqual({ events: [], checkpoint: { generated: 3 }, done: true });
  });

  it('keeps going without end when count is 0', async () => {
    const source = createGenerateSource(config({ count: 0, rate: 0, batchSize: 500 }), testPluginContext());
    const r = await source.poll({ generated: 1_000_000 });
    expect(r.events).toHaveLength(500);
    expect(r.done).toBeUndefined();
    expect(r.hasMore).toBe(true);
  });

  it('paces events at the configured rate', async () => {
    let now = 1_000_000;
    const source = createGenerateSource(config({ rate: 100, count: 0 }), testPluginContext(), () => now);
    const first = await source.poll(undefined);
    expect(first.events).toHaveLength(1); // the first event at once
    const idle = await source.poll(first.checkpoint);
    expect(idle.events).toHaveLength(0);
    expect(idle.hasMore).toBe(false);
    now += 1000;
    const second = await source.poll(idle.checkpoint);
    expect(second.events).toHaveLength(100); // one second later: 100 more
    expect(second.checkpoint).toEqual({ generated: 101 });
    expect(source.intervalMs).toBe(10);
  });

  it('catches up in batches when it falls behind its rate', async () => {
    let now = 0;
    const source = createGenerateSource(
      config({ rate: 1000, count: 0, batchSize: 100 }),
      testPluginContext(),
      () => now,
    );
    const first = await source.poll(undefined);
    now += 1000;
    const behind = await source.poll(first.checkpoint);
    expect(behind.events).toHaveLength(100);
    expect(behind.hasMore).toBe(true);
  });

  it('pads values to about payloadBytes for benchmarks', async () => {
    const gps = await drain(
      createGenerateSource(config({ rate: 0, count: 3, payloadBytes: 1024 }), testPluginContext()),
    );
    for (const e of gps.events) {
      expect(JSON.stringify(e.value).length).toBe(1024);
      expect((e.value as { value: unknown }).value).toEqual([expect.any(Number), expect.any(Number)]);
    }
    const seq = await drain(
      createGenerateSource(config({ preset: 'sequence', rate: 0, count: 1, payloadBytes: 200 }), testPluginContext()),
    );
    expect(JSON.stringify(seq.events[0].value).length).toBe(200);
    expect((seq.events[0].value as { seq: number }).seq).toBe(1);
  });

  it('refuses a checkpoint that is not its own, saying how to start again', async () => {
    const source = createGenerateSource(config({}), testPluginContext());
    await expect(source.poll({ offset: 'x' })).rejects.toMatchObject({ kind: 'fatal', code: 'E_CHECKPOINT' });
  });

  it('rejects a config with an unknown preset', () => {
    expect(generateConfig.safeParse({ preset: 'weather' }).success).toBe(false);
  });
});
