// SQL injection attempts through every door the connectors have: table and column names in config, field
// names in events, values in events, keys of deletes, and the cursor of query mode. None may execute: names are
// rejected, values are bound and come back byte for byte.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sqlSink from '../../connectors/sql/sink.js';
import sqlSource from '../../connectors/sql/source.js';
import type { SluiceEvent } from '../../core/event.js';
import type { PollSource } from '../../core/plugin.js';
import { recordFigure } from '../harness/figures.js';
import {
  CLIENTS,
  type Client,
  createTestDatabase,
  quote,
  rows,
  type TestDatabase,
  testContext,
} from '../harness/sql-databases.js';

const PAYLOADS: string[] = [
  "'; DROP TABLE canary; --",
  '"; DROP TABLE canary; --',
  '`; DROP TABLE canary; --',
  "' OR '1'='1",
  '" OR "1"="1',
  "' OR 1=1 --",
  "admin'--",
  "'; DELETE FROM canary WHERE '1'='1",
  "'); DROP TABLE canary; --",
  '"); DROP TABLE canary; --',
  '); DROP TABLE canary; --',
  '1; DROP TABLE canary',
  '1); DROP TABLE canary; --',
  "x' UNION SELECT * FROM canary --",
  '1 UNION ALL SELECT NULL, NULL --',
  "\\'; DROP TABLE canary; --",
  "\\\\'; DROP TABLE canary; --",
  "\\0'; DROP TABLE canary; --",
  "\u0000'; DROP TABLE canary; --",
  '\u2019; DROP TABLE canary; --',
  '\u02bc; DROP TABLE canary; --',
  '\uff07; DROP TABLE canary; --',
  "'/**/OR/**/1=1",
  '/* comment */ DROP TABLE canary',
  '-- DROP TABLE canary',
  '# DROP TABLE canary',
  '$$; DROP TABLE canary; $$',
  '$tag$; DROP TABLE canary; $tag$',
  "E'\\''; DROP TABLE canary; --",
  "'||(SELECT 1)||'",
  "' AND SLEEP(5) --",
  "'; SELECT pg_sleep(5); --",
  '1 AND (SELECT COUNT(*) FROM canary) > 0',
  "'; ATTACH DATABASE '/tmp/sluice-pwned.db' AS pwned; --",
  "'; PRAGMA writable_schema = 1; --",
  "'; SET GLOBAL general_log = 1; --",
  "'; COPY canary TO PROGRAM 'id'; --",
  "'; LOAD DATA INFILE '/etc/passwd' INTO TABLE canary; --",
  '?',
  '??',
  "'?'",
  ':cursor',
  ':limit:',
  '%s%s%s%n',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  'a\nb\r\nc; DROP TABLE canary',
  '\t\b\f\v',
  "'".repeat(100),
  '"'.repeat(100),
  '\\'.repeat(101),
  "robert'); DROP TABLE students;--",
  '[]; DROP TABLE canary',
  '{"a": "\'; DROP TABLE canary; --"}',
  'SELECT * FROM canary',
  'NULL',
  'null',
  "🙂'; DROP TABLE canary; --",
  'select',
  'order by 1--',
];

const NAME_PAYLOADS = PAYLOADS.filter((p) => !/^[\p{L}_][\p{L}\p{N}_$]*$/u.test(p));

describe.each(CLIENTS)('sql injection on %s', (client: Client) => {
  let db: TestDatabase;
  const base = () => ({ client, connection: db.url });
  const text = client === 'mysql2' ? 'LONGTEXT' : 'TEXT';
  // Binary collation: MariaDB's default one would take 'NULL' and 'null' for the same key.
  const keyText = client === 'mysql2' ? 'VARCHAR(700) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin' : 'TEXT';

  async function tables(): Promise<string[]> {
    const sql =
      client === 'pg'
        ? "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
        : client === 'mysql2'
          ? 'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()'
          : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
    return (await rows<{ name: string }>(db.knex, sql)).map((r) => r.name).sort();
  }

  async function expectCanaryIntact(): Promise<void> {
    const got = await rows<{ v: string }>(db.knex, 'SELECT v FROM canary');
    expect(got.map((r) => r.v)).toEqual(['alive']);
  }

  beforeAll(async () => {
    db = await createTestDatabase(client, 'sluice_inj');
    await db.knex.raw(`CREATE TABLE canary (v ${text})`);
    await db.knex.raw("INSERT INTO canary VALUES ('alive')");
    await db.knex.raw(`CREATE TABLE target (k ${keyText} NOT NULL, v ${text}, PRIMARY KEY (k))`);
    await db.knex.raw(
      `CREATE TABLE ${quote(client, 'order')} (${quote(client, 'select')} INTEGER, ${quote(client, 'from')} ${text})`,
    );
  });
  afterAll(async () => {
    await db?.drop();
  });

  it(`has more than 50 payloads (${PAYLOADS.length})`, () => {
    expect(PAYLOADS.length).toBeGreaterThan(50);
    expect(NAME_PAYLOADS.length).toBeGreaterThan(50);
  });

  it('rejects every payload as a table or column name in config, before connecting', () => {
    const accepted = NAME_PAYLOADS.filter((p) =>
      [
        sqlSink.config.safeParse({ ...base(), table: p }),
        sqlSink.config.safeParse({ ...base(), table: 't', keyColumns: [p], mode: 'upsert' }),
        sqlSink.config.safeParse({ ...base(), table: 't', offsetsTable: p }),
        sqlSource.config.safeParse({ ...base(), mode: 'bulk', table: `public.${p}` }),
        sqlSource.config.safeParse({ ...base(), mode: 'incrementing', table: 't', incrementingColumn: p }),
        sqlSource.config.safeParse({ ...base(), mode: 'bulk', table: 't', columns: [p] }),
        sqlSource.config.safeParse({ ...base(), mode: 'bulk', table: 't', keyColumns: [p] }),
      ].some((r) => r.success),
    );
    recordFigure({
      suite: 'security',
      case: `sql injection: ${client} names in config`,
      tries: NAME_PAYLOADS.length,
      held: NAME_PAYLOADS.length - accepted.length,
    });
    expect(accepted).toEqual([]);
  });

  it('dead-letters events whose field names are payloads, writing nothing for them', async () => {
    const sink = await sqlSink.create(
      sqlSink.config.parse({ ...base(), table: 'target', autoEvolve: true }),
      testContext(),
    );
    try {
      const batch: SluiceEvent[] = NAME_PAYLOADS.map((p, i) => ({
        key: null,
        value: { k: `n${i}`, [p]: 'x' },
        ts: 0,
        headers: {},
      }));
      const result = (await sink.write(batch)) ?? {};
      expect(result.rejected?.map((r) => r.index)).toEqual(batch.map((_, i) => i));
      for (const r of result.rejected ?? []) expect(r.error).toMatchObject({ kind: 'record', code: 'E_SQL_COLUMN' });
      expect(await rows(db.knex, 'SELECT * FROM target')).toEqual([]);
    } finally {
      await sink.close?.();
    }
    await expectCanaryIntact();
  });

  it('binds every payload as a value: upserted, read back by the source and deleted by key, byte for byte', async () => {
    const sink = await sqlSink.create(
      sqlSink.config.parse({ ...base(), table: 'target', mode: 'upsert', keyColumns: ['k'] }),
      testContext(),
    );
    // PostgreSQL text cannot hold NUL: there it is replaced by a visible stand-in (keys stay distinct).
    const values = client === 'pg' ? PAYLOADS.map((p) => p.replaceAll('\u0000', '\u2400')) : PAYLOADS;
    try {
      const batch: SluiceEvent[] = values.map((p, i) => ({
        key: null,
        value: { k: p, v: `${i}:${p}` },
        ts: 0,
        headers: {},
        id: `0-${i + 1}-0`,
      }));
      expect((await sink.write(batch)) ?? {}).toEqual({});
      const source = (await sqlSource.create(
        sqlSource.config.parse({ ...base(), mode: 'bulk', table: 'target', keyColumns: ['k'] }),
        testContext(),
      )) as PollSource;
      const { events } = await source.poll(undefined);
      await source.close?.();
      const read = new Map(events.map((e) => [e.key, (e.value as { v: string }).v]));
      const held = values.filter((p, i) => read.get(p) === `${i}:${p}`).length;
      recordFigure({ suite: 'security', case: `sql injection: ${client} bound values`, tries: values.length, held });
      expect(read.size).toBe(values.length);
      for (const [i, p] of values.entries()) expect(read.get(p)).toBe(`${i}:${p}`);
      // Deletes bind the key the same way.
      const deletes: SluiceEvent[] = values.map((p, i) => ({
        key: p,
        value: null,
        ts: 0,
        headers: {},
        id: `0-${1000 + i}-0`,
      }));
      expect((await sink.write(deletes)) ?? {}).toEqual({});
      expect(await rows(db.knex, 'SELECT * FROM target')).toEqual([]);
    } finally {
      await sink.close?.();
    }
    await expectCanaryIntact();
  });

  it('binds payloads as the cursor of query mode', async () => {
    const source = (await sqlSource.create(
      sqlSource.config.parse({
        ...base(),
        mode: 'query',
        query: 'SELECT v AS c FROM canary WHERE v > :cursor ORDER BY v',
        cursorColumn: 'c',
        initialCursor: 'a',
      }),
      testContext(),
    )) as PollSource;
    try {
      for (const p of client === 'pg' ? PAYLOADS.filter((x) => !x.includes('\u0000')) : PAYLOADS) {
        const result = await source.poll({ mode: 'query', cursor: p });
        for (const e of result.events) expect((e.value as { c: string }).c).toBe('alive');
      }
    } finally {
      await source.close?.();
    }
    await expectCanaryIntact();
  });

  it('quotes valid names that are reserved words', async () => {
    const sink = await sqlSink.create(sqlSink.config.parse({ ...base(), table: 'order' }), testContext());
    const source = (await sqlSource.create(
      sqlSource.config.parse({
        ...base(),
        mode: 'incrementing',
        table: 'order',
        incrementingColumn: 'select',
        visibilityDelayMs: 0,
      }),
      testContext(),
    )) as PollSource;
    try {
      await sink.write([{ key: null, value: { select: 1, from: 'x' }, ts: 0, headers: {} }]);
      const { events } = await source.poll(undefined);
      expect(events.map((e) => e.value)).toEqual([{ select: 1, from: 'x' }]);
    } finally {
      await sink.close?.();
      await source.close?.();
    }
  });

  it('leaves the schema as it was: no table dropped or added by any payload', async () => {
    expect(await tables()).toEqual(['canary', 'order', 'sluice_offsets', 'sluice_offsets_ranges', 'target'].sort());
    await expectCanaryIntact();
  });
});
