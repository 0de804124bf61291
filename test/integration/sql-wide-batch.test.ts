// A batch with more values than one statement may bind is split into several statements; on PostgreSQL the
// offsets writes ride in the first of them and need room there too.
import { describe, expect, it } from 'vitest';
import sqlSink from '../../connectors/sql/sink.js';
import { CLIENTS, type Client, suiteDatabase, testContext } from '../harness/sql-databases.js';

const BASE_MS = 1_700_000_000_000;

describe.each(CLIENTS)('sql sink batches past the bound-parameter limit on %s', (client: Client) => {
  const suite = suiteDatabase(client, 'sluice_wide');

  it('writes a batch of 70 000 one-column rows, split into statements that fit with the offsets writes', async () => {
    const config = { client, connection: suite.db.url, table: 'wide', autoCreate: true };
    const sink = await sqlSink.create(sqlSink.config.parse(config), testContext('wide'));
    try {
      // Ids of one partition, 70 000 in one millisecond: one range, recorded with the first statement.
      const events = Array.from({ length: 70_000 }, (_, i) => ({
        key: null,
        value: { n: i },
        ts: BASE_MS,
        headers: {},
        id: `0-${BASE_MS}-${i}`,
      }));
      expect(await sink.write(events)).toEqual({});
      expect(await suite.count('SELECT COUNT(*) AS n FROM wide')).toBe(70_000);
    } finally {
      await sink.close?.();
    }
  }, 120_000);
});
