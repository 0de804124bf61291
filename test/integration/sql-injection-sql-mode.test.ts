// mysql2 escapes values in the client with backslashes. On a server whose sql_mode has NO_BACKSLASH_ESCAPES, `\'`
// would end a string and let the rest run as SQL; the connector removes that mode from its own sessions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sqlSink from '../../connectors/sql/sink.js';
import sqlSource from '../../connectors/sql/source.js';
import type { SluiceEvent } from '../../core/event.js';
import type { PollSource } from '../../core/plugin.js';
import { rows, testContext } from '../harness/sql-databases.js';
import { ThrowawayMariadb } from '../harness/throwaway-mariadb.js';

const PAYLOADS = [
  "\\'; DROP TABLE canary; -- ",
  "\\\\'; DROP TABLE canary; -- ",
  "x\\' OR 1=1; DROP TABLE canary; -- ",
  "\\\\\\'); DROP TABLE canary; -- ",
  '\\"; DROP TABLE canary; -- ',
];

describe('sql connectors on a MariaDB with NO_BACKSLASH_ESCAPES', () => {
  let server: ThrowawayMariadb;

  beforeAll(async () => {
    server = await ThrowawayMariadb.start();
    await server.root.raw("SET GLOBAL sql_mode = 'NO_BACKSLASH_ESCAPES,STRICT_TRANS_TABLES'");
    await server.root.raw('CREATE TABLE etltest.canary (v TEXT)');
    await server.root.raw("INSERT INTO etltest.canary VALUES ('alive')");
    await server.root.raw('CREATE TABLE etltest.target (id INTEGER PRIMARY KEY, v TEXT)');
  }, 180_000);
  afterAll(async () => {
    await server?.destroy();
  });

  it('binds backslash payloads as plain values: nothing runs, everything reads back unchanged', async () => {
    const sink = await sqlSink.create(
      sqlSink.config.parse({
        client: 'mysql2',
        connection: server.url,
        table: 'target',
        mode: 'upsert',
        keyColumns: ['id'],
      }),
      testContext(),
    );
    const source = (await sqlSource.create(
      sqlSource.config.parse({ client: 'mysql2', connection: server.url, mode: 'bulk', table: 'target' }),
      testContext(),
    )) as PollSource;
    try {
      const batch: SluiceEvent[] = PAYLOADS.map((v, i) => ({
        key: null,
        value: { id: i, v },
        ts: 0,
        headers: {},
        id: `0-${i + 1}-0`,
      }));
      expect((await sink.write(batch)) ?? {}).toEqual({});
      const { events } = await source.poll(undefined);
      expect(events.map((e) => (e.value as { v: string }).v)).toEqual(PAYLOADS);
    } finally {
      await sink.close?.();
      await source.close?.();
    }
    expect(await rows(server.root, 'SELECT v FROM etltest.canary')).toEqual([{ v: 'alive' }]);
    // The server default is unchanged; only the connector's sessions leave the mode out.
    const [{ mode }] = await rows<{ mode: string }>(server.root, 'SELECT @@GLOBAL.sql_mode AS mode');
    expect(mode).toContain('NO_BACKSLASH_ESCAPES');
  }, 60_000);
});
