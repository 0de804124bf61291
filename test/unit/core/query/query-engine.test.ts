import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEvent } from '../../../../core/event.js';
import { query } from '../../../../core/query/query-engine.js';
import { MemoryStorage } from '../../../../core/storage/memory.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('query over stored events', () => {
  let storage: MemoryStorage;
  beforeEach(async () => {
    storage = new MemoryStorage();
    await storage.ensureTopic({ name: 'gps', partitions: 3 });
    const cars = ['car-1', 'car-2', 'car-3'];
    const events = Array.from({ length: 300 }, (_, i) =>
      createEvent({ key: cars[i % 3], value: { speed: i % 50, car: cars[i % 3] }, ts: T0 + i * 1000 }),
    );
    await storage.append('gps', events);
  });
  afterEach(() => storage.close());

  it('answers a GROUP BY over JSON fields of the value with the same numbers computed by hand', async () => {
    const result = await query(
      storage,
      `SELECT key, count(*) AS n, avg((value->>'speed')::DOUBLE) AS avg_speed FROM gps GROUP BY key ORDER BY key`,
    );
    const rows = await result.all();
    const expected = ['car-1', 'car-2', 'car-3'].map((car, c) => {
      const speeds = Array.from({ length: 300 }, (_, i) => i)
        .filter((i) => i % 3 === c)
        .map((i) => i % 50);
      return { key: car, n: speeds.length, avg_speed: speeds.reduce((a, b) => a + b, 0) / speeds.length };
    });
    expect(rows).toEqual(expected);
    expect(result.columns.map((c) => c.name)).toEqual(['key', 'n', 'avg_speed']);
    expect(result.stats.entriesRead).toEqual({ gps: 300 });
  });

  it('gives each row its id, partition, key, event time, stored time, value and headers', async () => {
    const rows = await (await query(storage, 'SELECT * FROM gps ORDER BY ts LIMIT 1')).all();
    expect(rows[0]).toMatchObject({
      key: 'car-1',
      ts: new Date(T0).toISOString(),
      value: { speed: 0, car: 'car-1' },
      headers: {},
    });
    expect(rows[0].id).toMatch(/^\d+-\d+-\d+$/);
    expect(typeof rows[0].stored).toBe('string');
  });

  it('reports a syntax error with its line and column, and an unknown topic with the topics there are', async () => {
    await expect(query(storage, 'SELECT key\nFROM gps\nGROUP key')).rejects.toMatchObject({
      kind: 'config',
      code: 'E_QUERY',
      message: expect.stringMatching(/line 3, column 7[\s\S]*GROUP key\n {8}\^/),
    });
    await expect(query(storage, 'SELECT * FROM gpz')).rejects.toMatchObject({
      kind: 'config',
      message: expect.stringMatching(/no topic "gpz"[\s\S]*"gps"/),
    });
    await expect(query(storage, 'SELECT nope FROM gps')).rejects.toMatchObject({
      kind: 'config',
      message: expect.stringMatching(/nope/),
    });
  });

  it('refuses anything but one SELECT, and reading files', async () => {
    await expect(query(storage, 'DELETE FROM gps')).rejects.toMatchObject({ kind: 'config' });
    await expect(query(storage, 'SELECT 1; SELECT 2')).rejects.toMatchObject({ kind: 'config' });
    await expect(query(storage, `SELECT * FROM read_csv('/etc/passwd')`)).rejects.toMatchObject({ kind: 'config' });
  });
});

describe('time bounds pushed down to the stored-time read', () => {
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

  it('reads only the stored-time range a bound on stored or ts can match, and still finds late events', async () => {
    const storage = new MemoryStorage();
    await storage.ensureTopic({ name: 'readings', partitions: 2 });
    const now = Date.now();
    // Old events stored first, then, strictly later, recent ones and one that is late: its event time is old.
    await storage.append(
      'readings',
      Array.from({ length: 100 }, (_, i) => createEvent({ key: `p${i % 4}`, value: { n: i }, ts: now - 3_600_000 })),
    );
    const before = Date.now();
    while (Date.now() <= before + 2) await sleep(1);
    const cut = Date.now();
    const recent = await storage.append('readings', [
      ...Array.from({ length: 10 }, (_, i) => createEvent({ key: `p${i % 4}`, value: { n: 100 + i }, ts: cut })),
      createEvent({ key: 'late', value: { n: 999 }, ts: now - 3_600_000 }),
    ]);
    expect(recent.ids).toHaveLength(11);

    const byStored = await query(storage, `SELECT count(*) AS n FROM readings WHERE stored >= epoch_ms(${cut})`);
    expect(await byStored.all()).toEqual([{ n: 11 }]);
    expect(byStored.stats.entriesRead.readings).toBe(11);

    const byEventTime = await query(
      storage,
      `SELECT count(*) AS n FROM readings WHERE ts >= epoch_ms(${cut}) - INTERVAL 1 SECOND`,
    );
    expect(await byEventTime.all()).toEqual([{ n: 10 }]);
    expect(byEventTime.stats.entriesRead.readings).toBe(111);
    expect(byEventTime.stats.ranges.readings.fromTime).toBe(cut - 1000 - 60_000);

    // An upper bound on event time reads to the end unless lateness is bounded: the late event is found.
    const old = await query(storage, `SELECT count(*) AS n FROM readings WHERE ts < epoch_ms(${cut - 1000})`);
    expect(await old.all()).toEqual([{ n: 101 }]);

    const skewless = await query(storage, `SELECT count(*) AS n FROM readings WHERE ts >= epoch_ms(${cut})`, {
      clockSkew: 0,
    });
    expect(await skewless.all()).toEqual([{ n: 10 }]);
    expect(skewless.stats.entriesRead.readings).toBe(11);
    await storage.close();
  });
});
