// The continuous query's guarantees, run on every storage driver: per-window aggregates equal an independent
// computation; events late within the grace period count; later ones are counted and dead-lettered with the
// reason; an evaluator that stops mid-window and starts again neither loses nor doubles a window.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEvent, type SluiceEvent } from '../../core/event.js';
import { ContinuousQuery, type ContinuousQuerySpec } from '../../core/query/continuous-query.js';
import type { Storage, StoredEvent } from '../../core/storage/storage.js';
import type { StorageUnderTest } from './storage.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);
const SQL = `SELECT key, count(*) AS n, avg((value->>'speed')::DOUBLE) AS avg_speed FROM gps GROUP BY key`;

const reading = (car: string, speed: number, ts: number): SluiceEvent =>
  createEvent({ key: car, value: { speed }, ts });

interface WindowRow {
  window_start: string;
  key: string;
  n: number;
  avg_speed: number;
}

/** The per-car, per-window averages computed here, independently of the engine. */
function expected(events: readonly SluiceEvent[], sizeMs: number, hopMs: number, closedBefore: number): WindowRow[] {
  const out = new Map<string, { n: number; sum: number }>();
  for (const e of events) {
    for (let start = Math.floor(e.ts / hopMs) * hopMs; start > e.ts - sizeMs; start -= hopMs) {
      if (start + sizeMs > closedBefore) continue;
      const id = `${start}|${e.key}`;
      const agg = out.get(id) ?? { n: 0, sum: 0 };
      agg.n++;
      agg.sum += (e.value as { speed: number }).speed;
      out.set(id, agg);
    }
  }
  return [...out]
    .map(([id, a]) => {
      const [start, key] = id.split('|');
      return { window_start: new Date(Number(start)).toISOString(), key, n: a.n, avg_speed: a.sum / a.n };
    })
    .sort(byWindowAndKey);
}

const byWindowAndKey = (a: WindowRow, b: WindowRow) =>
  a.window_start.localeCompare(b.window_start) || a.key.localeCompare(b.key);

async function emitted(storage: Storage, topic: string): Promise<WindowRow[]> {
  const rows: WindowRow[] = [];
  for await (const page of storage.scan(topic)) {
    for (const e of page) {
      const v = e.value as WindowRow;
      rows.push({ window_start: v.window_start, key: v.key, n: v.n, avg_speed: v.avg_speed });
    }
  }
  return rows.sort(byWindowAndKey);
}

async function all(storage: Storage, topic: string): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const page of storage.scan(topic)) out.push(...page);
  return out;
}

export function describeContinuousQuery(name: string, make: () => Promise<StorageUnderTest>): void {
  describe(`continuous query: ${name}`, { timeout: 120_000 }, () => {
    let storage: Storage;
    let cleanup: () => Promise<void>;
    let n = 0;
    let spec: ContinuousQuerySpec;

    beforeEach(async () => {
      ({ storage, cleanup } = await make());
      const id = `${++n}-${Math.random().toString(36).slice(2, 7)}`;
      spec = {
        name: `averages-${id}`,
        input: 'gps',
        output: `averages-${id}`,
        sql: SQL,
        window: { sizeMs: MINUTE, hopMs: MINUTE },
        graceMs: 10_000,
        deadLetterTopic: `averages-${id}.dlq`,
        // Event times in these tests are long before the time they are stored.
        clockSkewMs: Number.MAX_SAFE_INTEGER,
        pageSize: 7,
      };
      await storage.ensureTopic({ name: 'gps', partitions: 3 });
      await storage.ensureTopic({ name: spec.output, partitions: 1 });
      await storage.ensureTopic({ name: spec.deadLetterTopic, partitions: 1 });
    });
    afterEach(async () => {
      await cleanup();
    });

    const cars = ['car-1', 'car-2', 'car-3', 'car-4', 'car-5'];
    /** Readings every 5 s for `minutes` minutes, from every car, speeds from a fixed pattern. */
    const drive = (fromMinute: number, minutes: number) =>
      Array.from({ length: minutes * 12 * cars.length }, (_, i) =>
        reading(cars[i % cars.length], (i * 13) % 120, T0 + fromMinute * MINUTE + Math.floor(i / cars.length) * 5000),
      );

    it('emits per-car averages of each closed tumbling window, equal to a computation by hand', async () => {
      const events = drive(0, 4);
      await storage.append('gps', events);
      const q = new ContinuousQuery(spec, storage);
      const result = await q.tick();
      // The watermark is the last reading (3:55) less 10 s of grace: windows 0, 1 and 2 are closed, 3 is not.
      expect(result.windowsClosed).toBe(3);
      expect(await emitted(storage, spec.output)).toEqual(expected(events, MINUTE, MINUTE, T0 + 3 * MINUTE));
      expect((await q.tick()).windowsClosed).toBe(0);
      const more = drive(4, 1);
      await storage.append('gps', more);
      await q.tick();
      expect(await emitted(storage, spec.output)).toEqual(
        expected([...events, ...more], MINUTE, MINUTE, T0 + 4 * MINUTE),
      );
    });

    it('emits hopping windows that overlap', async () => {
      spec.window = { sizeMs: 2 * MINUTE, hopMs: MINUTE };
      const events = drive(0, 5);
      await storage.append('gps', events);
      await new ContinuousQuery(spec, storage).tick();
      const rows = await emitted(storage, spec.output);
      expect(rows).toEqual(expected(events, 2 * MINUTE, MINUTE, T0 + 4 * MINUTE + 50_000));
      expect(new Set(rows.map((r) => r.n))).toEqual(new Set([12, 24]));
    });

    it('counts events late within the grace period, and dead-letters later ones with the reason', async () => {
      const q = new ContinuousQuery(spec, storage);
      const onTime = drive(0, 2);
      await storage.append('gps', onTime);
      // 1:55 less 10 s grace: window 0 closed, window 1 open.
      await q.tick();
      // Late but within grace: belongs to window 1, which is still open.
      const withinGrace = reading('car-1', 500, T0 + MINUTE + 1000);
      // Later than grace: window 0 is closed already.
      const tooLate = reading('car-2', 900, T0 + 30_000);
      const closer = cars.map((c) => reading(c, 1, T0 + 2 * MINUTE + 20_000));
      await storage.append('gps', [withinGrace, tooLate, ...closer]);
      const result = await q.tick();
      expect(result.lateEvents).toBe(1);
      expect(await q.lateCount()).toBe(1);
      expect(await emitted(storage, spec.output)).toEqual(
        expected([...onTime, withinGrace, ...closer], MINUTE, MINUTE, T0 + 2 * MINUTE),
      );
      const dead = await all(storage, spec.deadLetterTopic);
      expect(dead).toHaveLength(1);
      expect(dead[0].value).toEqual({ speed: 900 });
      expect(dead[0].headers['sluice-error-code']).toBe('E_QUERY_LATE');
      expect(dead[0].headers['sluice-error']).toMatch(/past the grace period \(10000 ms\)/);
      expect(dead[0].headers['sluice-source-topic']).toBe('gps');
    });

    it('neither loses nor doubles a window when evaluation stops mid-window and starts again', async () => {
      const events = drive(0, 6);
      await storage.append('gps', events.slice(0, 100));
      await new ContinuousQuery(spec, storage).tick();
      // A crash mid-window: the window's rows were never stored, so its progress was never stored either.
      const crashing: Storage = Object.create(storage);
      let appends = 0;
      crashing.append = async (...args) => {
        if (args[0] === spec.output && args[1].length > 0 && ++appends === 1) throw new Error('killed mid-window');
        return storage.append(...args);
      };
      await storage.append('gps', events.slice(100, 250));
      await expect(new ContinuousQuery(spec, crashing).tick()).rejects.toThrow('killed mid-window');
      // A new evaluator, as after a restart, and a second one racing it for the same windows.
      await storage.append('gps', events.slice(250));
      await Promise.all([new ContinuousQuery(spec, storage).tick(), new ContinuousQuery(spec, storage).tick()]);
      const last = events[events.length - 1].ts - spec.graceMs;
      expect(await emitted(storage, spec.output)).toEqual(expected(events, MINUTE, MINUTE, last + 1));
    });
  });
}
