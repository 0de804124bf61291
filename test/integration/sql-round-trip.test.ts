// Random rows written by the sql sink and read back by the sql source come back exactly: text of any script and
// JSON of any shape, on each database.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sqlSink from '../../connectors/sql/sink.js';
import sqlSource from '../../connectors/sql/source.js';
import type { SluiceEvent } from '../../core/event.js';
import type { PollSource, SinkInstance } from '../../core/plugin.js';
import { CLIENTS, type Client, createTestDatabase, type TestDatabase, testContext } from '../harness/sql-databases.js';

describe.each(CLIENTS)('sql sink → source round trip on %s', (client: Client) => {
  let db: TestDatabase;
  let sink: SinkInstance;
  let source: PollSource;

  beforeAll(async () => {
    db = await createTestDatabase(client, 'sluice_rt');
    const json = client === 'pg' ? 'jsonb' : 'JSON';
    const text = client === 'mysql2' ? 'LONGTEXT' : 'TEXT';
    await db.knex.raw(
      `CREATE TABLE rt (id BIGINT PRIMARY KEY, s ${text}, j ${json}, b ${client === 'pg' ? 'bytea' : 'BLOB'})`,
    );
    sink = await sqlSink.create(
      sqlSink.config.parse({ client, connection: db.url, table: 'rt', mode: 'upsert', keyColumns: ['id'] }),
      testContext(),
    );
    source = (await sqlSource.create(
      sqlSource.config.parse({
        client,
        connection: db.url,
        table: 'rt',
        mode: 'bulk',
        bigintAs: 'number',
        jsonColumns: client === 'better-sqlite3' ? ['j'] : [],
      }),
      testContext(),
    )) as PollSource;
  });
  afterAll(async () => {
    await sink?.close?.();
    await source?.close?.();
    await db?.drop();
  });

  // PostgreSQL text and jsonb cannot hold NUL; everything else goes.
  const text = fc
    .string({ unit: 'grapheme', maxLength: 40 })
    .map((s) => (client === 'pg' ? s.replaceAll('\u0000', '') : s));
  const jsonValue = fc.jsonValue({ maxDepth: 3 }).map((v) => {
    const normal = JSON.parse(JSON.stringify(v)) as unknown; // -0 and the like are not JSON
    return client === 'pg' ? JSON.parse(JSON.stringify(normal).replaceAll('\\u0000', '')) : normal;
  });

  it('gives back exactly the text, JSON and bytes it was given', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ s: text, j: jsonValue, b: fc.uint8Array({ maxLength: 32 }) }), {
          minLength: 1,
          maxLength: 20,
        }),
        async (values) => {
          round++;
          await db.knex.raw('DELETE FROM rt');
          const batch: SluiceEvent[] = values.map((v, i) => ({
            key: null,
            value: { id: i, ...v },
            ts: 0,
            headers: {},
            id: `0-${round}-${i}`,
          }));
          expect((await sink.write(batch)) ?? {}).toEqual({});
          const { events } = await source.poll(undefined);
          const byId = new Map(events.map((e) => [(e.value as { id: number }).id, e.value as Record<string, unknown>]));
          for (const [i, v] of values.entries()) {
            const got = byId.get(i);
            expect(got?.s).toBe(v.s);
            expect(got?.j).toEqual(v.j);
            expect(Buffer.from(got?.b as Uint8Array)).toEqual(Buffer.from(v.b));
          }
        },
      ),
      { numRuns: 100 },
    );
  }, 120_000);
});
