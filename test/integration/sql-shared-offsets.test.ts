// Two sink instances recording into the same offsets (a worker taking over from a frozen one, a sink restarted
// beside its old instance): what each remembers of the offsets goes stale when the other writes, and a batch the
// other wrote meanwhile must still be skipped. On PostgreSQL a sink writes a batch in one statement from what it
// remembers; these tests are about that memory being checked.
import { describe, expect, it } from 'vitest';
import sqlSink from '../../connectors/sql/sink.js';
import type { SluiceEvent } from '../../core/event.js';
import type { SinkInstance } from '../../core/plugin.js';
import { CLIENTS, type Client, suiteDatabase, testContext } from '../harness/sql-databases.js';

const BASE_MS = 1_700_000_000_000;

/** Events `from` … `from + count - 1` of partition 0, one per millisecond. */
function batch(from: number, count: number): SluiceEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    key: null,
    value: { n: from + i },
    ts: BASE_MS,
    headers: {},
    id: `0-${BASE_MS + from + i}-0`,
  }));
}

describe.each(CLIENTS)('sql sinks sharing their offsets on %s', (client: Client) => {
  const suite = suiteDatabase(client, 'sluice_shared');
  const { count } = suite;

  it('skips a batch the other instance wrote meanwhile, and both go on writing each new batch once', async () => {
    const config = { client, connection: suite.db.url, table: 'numbers', autoCreate: true, offsetsKey: 'shared' };
    const open = async (): Promise<SinkInstance> =>
      sqlSink.create(sqlSink.config.parse(config), testContext('numbers'));
    const [a, b] = [await open(), await open()];
    try {
      await a.write(batch(0, 10));
      await a.write(batch(10, 10));
      await b.write(batch(20, 10));
      // What `a` remembers of the offsets predates b's batch, which it gets again.
      expect(await a.write(batch(20, 10))).toEqual({});
      await a.write(batch(30, 10));
      expect(await b.write(batch(30, 10))).toEqual({});
      await b.write(batch(40, 10));
      await a.write(batch(50, 10));
      expect(await count('SELECT COUNT(*) AS n FROM numbers')).toBe(60);
      expect(await count('SELECT COUNT(DISTINCT n) AS n FROM numbers')).toBe(60);
    } finally {
      await a.close?.();
      await b.close?.();
    }
  }, 60_000);

  it('writes batches handed over at once, a redelivered one among them, each new event once', async () => {
    const config = { client, connection: suite.db.url, table: 'burst', autoCreate: true, offsetsKey: 'burst' };
    const sink = await sqlSink.create(sqlSink.config.parse(config), testContext('burst'));
    try {
      await sink.write(batch(0, 10));
      // Written while the first is on its way: they wait for their partition's turn, and may go together.
      const results = await Promise.all([
        sink.write(batch(10, 10)),
        sink.write(batch(20, 10)),
        sink.write(batch(0, 10)),
        sink.write(batch(30, 10)),
        sink.write(batch(20, 10)),
        sink.write(batch(40, 10)),
      ]);
      expect(results).toEqual([{}, {}, {}, {}, {}, {}]);
      expect(await count('SELECT COUNT(*) AS n FROM burst')).toBe(50);
      expect(await count('SELECT COUNT(DISTINCT n) AS n FROM burst')).toBe(50);
      // Every batch's range was recorded: all of them come back as already written.
      await Promise.all([0, 10, 20, 30, 40].map((from) => sink.write(batch(from, 10))));
      expect(await count('SELECT COUNT(*) AS n FROM burst')).toBe(50);
    } finally {
      await sink.close?.();
    }
  }, 60_000);

  it('dead-letters a refused row of a batch that waited with others, and writes the rest', async () => {
    await suite.db.knex.raw('CREATE TABLE strict (n integer NOT NULL CHECK (n <> 25))');
    const config = { client, connection: suite.db.url, table: 'strict', offsetsKey: 'strict' };
    const sink = await sqlSink.create(sqlSink.config.parse(config), testContext('strict'));
    try {
      await sink.write(batch(0, 10));
      const [first, second, third] = await Promise.all([
        sink.write(batch(10, 10)),
        sink.write(batch(20, 10)),
        sink.write(batch(30, 10)),
      ]);
      expect(first).toEqual({});
      expect(second?.rejected?.map((r) => r.index)).toEqual([5]);
      expect(third).toEqual({});
      expect(await count('SELECT COUNT(*) AS n FROM strict')).toBe(39);
    } finally {
      await sink.close?.();
    }
  }, 60_000);

  it('writes a batch again once its offsets were deleted by hand, as the docs say to', async () => {
    const config = { client, connection: suite.db.url, table: 'again', autoCreate: true, offsetsKey: 'again' };
    const sink = await sqlSink.create(sqlSink.config.parse(config), testContext('again'));
    try {
      await sink.write(batch(0, 10));
      await sink.write(batch(10, 10));
      await suite.db.knex.raw("DELETE FROM sluice_offsets_ranges WHERE consumer = 'again'");
      await suite.db.knex.raw("DELETE FROM sluice_offsets WHERE consumer = 'again'");
      await sink.write(batch(10, 10));
      await sink.write(batch(10, 10));
      expect(await count('SELECT COUNT(*) AS n FROM again')).toBe(30);
    } finally {
      await sink.close?.();
    }
  }, 60_000);
});
