// templates/pipelines/fleet-of-cars.yaml run as its header says: readings in over HTTP, the average speed per
// car per minute of event time out to PostgreSQL, equal to the averages computed here; a reading later than
// the grace period is not counted.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/fleet.js';
import { freePort } from '../harness/loopback.js';
import { runCli } from '../harness/run-cli.js';
import { createTestDatabase, rows, type TestDatabase } from '../harness/sql-databases.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);
const cars = ['car-1', 'car-2', 'car-3', 'car-4'];

interface Reading {
  key: string;
  value: { speed: number };
  ts: number;
}

// Every 10 s for three minutes, each car at speeds of its own pattern.
const readings: Reading[] = [];
for (let s = 0; s < 180; s += 10) {
  cars.forEach((car, c) => {
    readings.push({ key: car, value: { speed: (s * (c + 3)) % 110 }, ts: T0 + s * 1000 });
  });
}

function averages(list: readonly Reading[]): Map<string, number> {
  const sums = new Map<string, { n: number; sum: number }>();
  for (const r of list) {
    const id = `${r.key}@${Math.floor(r.ts / MINUTE) * MINUTE}`;
    const a = sums.get(id) ?? { n: 0, sum: 0 };
    a.n++;
    a.sum += r.value.speed;
    sums.set(id, a);
  }
  return new Map([...sums].map(([id, a]) => [id, a.sum / a.n]));
}

describe('the fleet-of-cars template', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('pg', 'sluice_fleet');
    // As the template's header says.
    await db.knex.raw(
      'CREATE TABLE car_speeds (car TEXT, window_start TIMESTAMPTZ, window_end TIMESTAMPTZ, key TEXT, ' +
        'readings BIGINT, avg_speed DOUBLE PRECISION, PRIMARY KEY (car, window_start))',
    );
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('turns readings POSTed over HTTP into per-car averages per minute in PostgreSQL', async () => {
    const port = await freePort();
    const queryPort = await freePort();
    let child: ChildProcess | undefined;
    const run = runCli(['run', 'templates/pipelines/fleet-of-cars.yaml', '--query-port', String(queryPort)], {
      env: { DATABASE_URL: db.url, HTTP_PORT: String(port), GRACE: '10s', SLUICE_LOG_LEVEL: 'warn' },
      timeoutMs: 280_000,
      onSpawn: (c) => {
        child = c;
      },
    });
    const post = async (list: readonly Reading[]) => {
      const res = await fetch(`http://127.0.0.1:${port}/gps`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: list.map((r) => JSON.stringify(r)).join('\n'),
      });
      if (res.status >= 300) throw new Error(`POST /gps answered ${res.status}: ${await res.text()}`);
    };
    try {
      await waitFor(
        () =>
          post(readings.slice(0, 40)).then(
            () => true,
            () => false,
          ),
        200_000,
        'the HTTP source to take readings',
      );
      await post(readings.slice(40));
      // Readings of 3:20 from every car move the watermark (3:20 less 10 s of grace) past minute 2.
      await post(cars.map((key) => ({ key, value: { speed: 0 }, ts: T0 + 3 * MINUTE + 20_000 })));
      const count = async () =>
        Number(
          (await rows<{ n: string }>(db.knex, 'SELECT COUNT(*) AS n FROM car_speeds').catch(() => [{ n: '0' }]))[0].n,
        );
      await waitFor(async () => (await count()) === 12, 200_000, '12 rows: 4 cars × 3 minutes');
      // Minute 0 is written: a reading for it now is past the grace period, dead-lettered, and not counted.
      await post([{ key: 'car-1', value: { speed: 1000 }, ts: T0 + 5000 }]);
      const late = async () => {
        const res = await fetch(`http://127.0.0.1:${queryPort}/query`, {
          method: 'POST',
          body: `SELECT code, origin, value FROM "car-averages.dlq"`,
        });
        return res.ok ? (await res.text()).trim() : '';
      };
      await waitFor(async () => (await late()) !== '', 200_000, 'the late reading in car-averages.dlq');
      expect(JSON.parse(await late())).toEqual({ code: 'E_QUERY_LATE', origin: 'gps', value: { speed: 1000 } });
      const stored = await rows<{ car: string; window_start: Date; avg_speed: number; readings: string }>(
        db.knex,
        'SELECT car, window_start, avg_speed, readings FROM car_speeds',
      );
      const expected = averages(readings);
      expect(stored).toHaveLength(expected.size);
      for (const r of stored) {
        const id = `${r.car}@${new Date(r.window_start).getTime()}`;
        expect(expected.has(id)).toBe(true);
        expect(Number(r.avg_speed)).toBeCloseTo(expected.get(id) as number, 9);
        expect(Number(r.readings)).toBe(6);
      }
    } finally {
      child?.kill('SIGINT');
    }
    const result = await run;
    expect(result.code).toBe(0);
  }, 300_000);
});
