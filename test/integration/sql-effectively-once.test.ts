// Effectively-once at any distance: a replay from the beginning must not move upserted rows back in time, and a
// batch redelivered long after (more than the 64 batches earlier versions remembered) must write nothing.
import { describe, expect, it } from 'vitest';
import sqlSink from '../../connectors/sql/sink.js';
import type { SluiceEvent } from '../../core/event.js';
import type { SinkInstance } from '../../core/plugin.js';
import { CLIENTS, type Client, rows, suiteDatabase, testContext } from '../harness/sql-databases.js';

const CARS = 200;
const EVENTS = 50_000;
const BASE_MS = 1_700_000_000_000;

/** Event k of the GPS feed: car k % 200, its (k / 200)th position; ids three to a millisecond. */
function gps(k: number): SluiceEvent {
  const car = `car-${k % CARS}`;
  const version = Math.floor(k / CARS);
  return {
    key: car,
    value: { car, version, lat: 48 + version / 1000, lon: 2 + version / 1000 },
    ts: BASE_MS + k,
    headers: {},
    id: `0-${BASE_MS + Math.floor(k / 3)}-${k % 3}`,
  };
}

function batches(events: SluiceEvent[], size: number): SluiceEvent[][] {
  const out: SluiceEvent[][] = [];
  for (let i = 0; i < events.length; i += size) out.push(events.slice(i, i + size));
  return out;
}

async function openSink(config: Record<string, unknown>): Promise<SinkInstance> {
  return sqlSink.create(sqlSink.config.parse(config), testContext('gps'));
}

/** Writes the batches in turn; none of their events may be refused. */
async function deliver(sink: SinkInstance, all: SluiceEvent[][]): Promise<void> {
  for (const batch of all) expect((await sink.write(batch))?.rejected ?? []).toEqual([]);
}

describe.each(CLIENTS)('sql sink effectively once on %s', (client: Client) => {
  const suite = suiteDatabase(client, 'sluice_once');
  const { count } = suite;

  it('keeps the newest position of all 200 cars through a replay of 50 000 events from the beginning', async () => {
    const feed = Array.from({ length: EVENTS }, (_, k) => gps(k));
    const config = {
      client,
      connection: suite.db.url,
      table: 'cars',
      mode: 'upsert',
      keyColumns: ['car'],
      autoCreate: true,
    };
    const sink = await openSink(config);
    try {
      await deliver(sink, batches(feed, 100));
      const newest = Math.floor((EVENTS - 1) / CARS);
      const current = `SELECT COUNT(*) AS n FROM cars WHERE version = ${newest}`;
      expect(await count(current)).toBe(CARS);
      // A replay reads the topic again from the start, caught up in full batches where the first delivery, at
      // the pace of the cars, came in small ones.
      const replaying = await openSink(config);
      await deliver(replaying, batches(feed, 1000));
      await replaying.close?.();
      expect(await count('SELECT COUNT(*) AS n FROM cars')).toBe(CARS);
      expect(await count(current)).toBe(CARS);
    } finally {
      await sink.close?.();
    }
  }, 300_000);

  it('writes nothing for a batch redelivered after 200 later batches, and keeps few ranges', async () => {
    const feed = Array.from({ length: 20_000 }, (_, k) => gps(k));
    const sink = await openSink({ client, connection: suite.db.url, table: 'trips', autoCreate: true });
    try {
      const all = batches(feed, 100);
      await deliver(sink, all);
      expect(await count('SELECT COUNT(*) AS n FROM trips')).toBe(20_000);
      // A worker killed after its commit: the batch comes back long after, once its job is taken over.
      await deliver(sink, [all[3], [...all[10], ...all[11]]]);
      expect(await count('SELECT COUNT(*) AS n FROM trips')).toBe(20_000);
      // Batches of consecutive ids in one millisecond touch and are kept as one range.
      expect(await count('SELECT COUNT(*) AS n FROM sluice_offsets_ranges')).toBeLessThan(all.length);
    } finally {
      await sink.close?.();
    }
  }, 300_000);

  it('with versionColumn, an older event never overwrites a row, even with trackOffsets off', async () => {
    const feed = Array.from({ length: 10_000 }, (_, k) => gps(k));
    const config = {
      client,
      connection: suite.db.url,
      table: 'fleet',
      mode: 'upsert',
      keyColumns: ['car'],
      versionColumn: 'event_position',
      trackOffsets: false,
      autoCreate: true,
    };
    const sink = await openSink(config);
    try {
      await deliver(sink, batches(feed, 100));
      const newest = Math.floor((10_000 - 1) / CARS);
      const current = `SELECT COUNT(*) AS n FROM fleet WHERE version = ${newest}`;
      expect(await count(current)).toBe(CARS);
      // Nothing remembers what was written: only the stored positions keep the rows from going back.
      await deliver(sink, batches(feed, 1000));
      await deliver(sink, batches(feed.slice(0, 5_000).reverse(), 250));
      expect(await count(current)).toBe(CARS);
      const [row] = await rows<{ event_position: string }>(
        suite.db.knex,
        "SELECT event_position FROM fleet WHERE car = 'car-0'",
      );
      expect(row.event_position).toBe(
        `${String(BASE_MS + Math.floor(9_800 / 3)).padStart(20, '0')}${String(9_800 % 3).padStart(20, '0')}`,
      );
      // A newer event still updates the row.
      await deliver(sink, [[gps(10_000)]]);
      expect(await count(`SELECT COUNT(*) AS n FROM fleet WHERE version = ${newest + 1}`)).toBe(1);
    } finally {
      await sink.close?.();
    }
  }, 300_000);
});
