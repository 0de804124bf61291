import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sqlSource from '../../connectors/sql/source.js';
import type { PollResult, PollSource } from '../../core/plugin.js';
import {
  CLIENTS,
  type Client,
  createTestDatabase,
  type TestDatabase,
  TYPES,
  testContext,
} from '../harness/sql-databases.js';

async function openSource(config: Record<string, unknown>): Promise<PollSource> {
  const parsed = sqlSource.config.parse(config);
  return (await sqlSource.create(parsed, testContext())) as PollSource;
}

async function drain(source: PollSource, checkpoint?: unknown, maxPolls = 1000) {
  const events: PollResult['events'] = [];
  let cp = checkpoint;
  for (let i = 0; i < maxPolls; i++) {
    const r = await source.poll(cp);
    events.push(...r.events);
    cp = r.checkpoint;
    if (!r.hasMore) break;
  }
  return { events, checkpoint: cp };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(CLIENTS)('sql source on %s', (client: Client) => {
  let db: TestDatabase;
  const t = TYPES[client];
  const base = () => ({ client, connection: db.url, intervalMs: 100 });

  beforeAll(async () => {
    db = await createTestDatabase(client, 'sluice_src');
    await db.knex.raw(
      `CREATE TABLE typed (id ${t.id}, big ${t.bigint}, amount ${t.decimal}, doc ${t.json}, raw ${t.bytes}, ` +
        `note ${t.text}, updated ${t.ts})`,
    );
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('maps bigint and decimal to exact strings, JSON to objects, bytes to bytes and times to ISO text', async () => {
    await db.knex.raw('INSERT INTO typed (big, amount, doc, raw, note, updated) VALUES (?, ?, ?, ?, ?, ?)', [
      // biome-ignore lint/suspicious/noExplicitAny: better-sqlite3 needs a BigInt for a 64-bit integer
      (client === 'better-sqlite3' ? BigInt('9007199254740993') : '9007199254740993') as any,
      '12345678901234567890.0123456789',
      JSON.stringify({ a: [1, 2], b: 'x' }),
      Buffer.from([0, 255, 1]),
      'héllo',
      '2024-05-01 10:00:00.123456',
    ]);
    const source = await openSource({
      ...base(),
      mode: 'bulk',
      table: 'typed',
      jsonColumns: client === 'better-sqlite3' ? ['doc'] : [],
    });
    try {
      const { events } = await drain(source);
      expect(events).toHaveLength(1);
      const v = events[0].value as Record<string, unknown>;
      expect(v.big).toBe('9007199254740993');
      if (client !== 'better-sqlite3') expect(v.amount).toBe('12345678901234567890.0123456789');
      expect(v.doc).toEqual({ a: [1, 2], b: 'x' });
      expect(Buffer.from(v.raw as Uint8Array)).toEqual(Buffer.from([0, 255, 1]));
      expect(v.note).toBe('héllo');
      expect(v.updated).toBe(
        client === 'better-sqlite3' ? '2024-05-01 10:00:00.123456' : '2024-05-01T10:00:00.123456Z',
      );
      expect(typeof v.id).toBe(client === 'pg' ? 'string' : client === 'mysql2' ? 'string' : 'number');
    } finally {
      await source.close?.();
    }
  });

  // SQLite has no date, float special or array types to read.
  it.skipIf(client === 'better-sqlite3')(
    'gives dates as their text, NaN and infinities as text, and PostgreSQL arrays as arrays',
    async () => {
      const isPg = client === 'pg';
      await db.knex.raw(
        isPg
          ? 'CREATE TABLE looked (id serial PRIMARY KEY, day date, f float8, g float8, tags int4[], n int4)'
          : 'CREATE TABLE looked (id int AUTO_INCREMENT PRIMARY KEY, day date, f double, g double, tags text, n int)',
      );
      await db.knex.raw(
        isPg
          ? "INSERT INTO looked (day, f, g, tags, n) VALUES ('2024-05-01', 'NaN', '-Infinity', '{1,2}', 7)"
          : "INSERT INTO looked (day, f, g, tags, n) VALUES ('2024-05-01', 1.5, 2.5, 'x', 7)",
      );
      const source = await openSource({ ...base(), mode: 'bulk', table: 'looked' });
      try {
        const { events } = await drain(source);
        const v = events[0].value as Record<string, unknown>;
        expect(v.day).toBe('2024-05-01');
        expect(v.n).toBe(7);
        if (isPg) {
          expect(v.f).toBe('NaN');
          expect(v.g).toBe('-Infinity');
          expect(v.tags).toEqual([1, 2]);
        } else expect([v.f, v.g, v.tags]).toEqual([1.5, 2.5, 'x']);
      } finally {
        await source.close?.();
        await db.knex.raw('DROP TABLE looked');
      }
    },
  );

  it('reads bigint and decimal as numbers when asked, keeping integers a double cannot hold as text', async () => {
    await db.knex.raw('INSERT INTO typed (big, amount, note) VALUES (?, ?, ?)', [42, '1.5', 'n']);
    const source = await openSource({
      ...base(),
      mode: 'incrementing',
      table: 'typed',
      incrementingColumn: 'id',
      visibilityDelayMs: 0,
      bigintAs: 'number',
      decimalAs: 'number',
    });
    try {
      const { events } = await drain(source);
      const byNote = new Map(
        events.map((e) => [(e.value as { note: string }).note, e.value as Record<string, unknown>]),
      );
      expect(byNote.get('n')).toMatchObject({ big: 42 });
      if (client !== 'better-sqlite3') expect(byNote.get('n')?.amount).toBe(1.5);
      expect(byNote.get('héllo')?.big).toBe('9007199254740993');
      expect(typeof byNote.get('n')?.id).toBe('number');
    } finally {
      await source.close?.();
    }
  });

  it('takes the event key and time from columns', async () => {
    await db.knex.raw(
      `CREATE TABLE keyed (region ${t.text === 'TEXT' && client === 'mysql2' ? 'VARCHAR(20)' : t.text}, n INTEGER, at ${t.ts})`,
    );
    await db.knex.raw('INSERT INTO keyed VALUES (?, ?, ?)', ['eu', 1, '2024-05-01 10:00:00']);
    const single = await openSource({
      ...base(),
      mode: 'bulk',
      table: 'keyed',
      keyColumns: ['region'],
      tsColumn: 'at',
    });
    const double = await openSource({ ...base(), mode: 'bulk', table: 'keyed', keyColumns: ['region', 'n'] });
    try {
      const [e] = (await single.poll(undefined)).events;
      expect(e.key).toBe('eu');
      expect(e.ts).toBe(Date.parse('2024-05-01T10:00:00Z'));
      const [e2] = (await double.poll(undefined)).events;
      expect(JSON.parse(e2.key!)).toEqual({ region: 'eu', n: 1 });
    } finally {
      await single.close?.();
      await double.close?.();
    }
  });

  it('does not read rows newer than the visibility delay, then reads them once they are old enough', async () => {
    await db.knex.raw(`CREATE TABLE recent (id ${t.id}, updated ${t.ts} NOT NULL)`);
    await db.knex.raw(`INSERT INTO recent (updated) VALUES (${t.tsDefault})`);
    const source = await openSource({
      ...base(),
      mode: 'timestamp+incrementing',
      table: 'recent',
      timestampColumn: 'updated',
      incrementingColumn: 'id',
      visibilityDelayMs: 1500,
    });
    try {
      const first = await source.poll(undefined);
      expect(first.events).toHaveLength(0);
      await sleep(1700);
      const second = await source.poll(first.checkpoint);
      expect(second.events).toHaveLength(1);
      const third = await source.poll(second.checkpoint);
      expect(third.events).toHaveLength(0);
    } finally {
      await source.close?.();
    }
  });

  it('timestamp mode reads a group of equal timestamps larger than the batch whole, never splitting it', async () => {
    await db.knex.raw(`CREATE TABLE same_ts (id ${t.id}, updated ${t.ts} NOT NULL)`);
    const values: string[] = [];
    for (let i = 0; i < 25; i++)
      values.push(i < 3 ? '2024-01-01 00:00:01' : i < 20 ? '2024-01-01 00:00:02' : '2024-01-01 00:00:03');
    await db.knex.raw(`INSERT INTO same_ts (updated) VALUES ${values.map(() => '(?)').join(', ')}`, values);
    const source = await openSource({
      ...base(),
      mode: 'timestamp',
      table: 'same_ts',
      timestampColumn: 'updated',
      batchSize: 5,
      visibilityDelayMs: 0,
    });
    try {
      const polls: number[] = [];
      let cp: unknown;
      const ids: unknown[] = [];
      for (;;) {
        const r = await source.poll(cp);
        polls.push(r.events.length);
        ids.push(...r.events.map((e) => (e.value as { id: unknown }).id));
        cp = r.checkpoint;
        if (!r.hasMore) break;
      }
      expect(ids).toHaveLength(25);
      expect(new Set(ids.map(String)).size).toBe(25);
      expect(polls).toContain(17); // the 17 rows at :02 came together
      expect((await source.poll(cp)).events).toHaveLength(0);
    } finally {
      await source.close?.();
    }
  });

  it('incrementing mode waits on a gap for the delay: a row that commits late inside it is still read', async () => {
    await db.knex.raw(`CREATE TABLE gaps (id ${t.bigint} PRIMARY KEY, note ${t.text})`);
    await db.knex.raw('INSERT INTO gaps VALUES (1, ?), (2, ?), (4, ?)', ['a', 'b', 'd']);
    const source = await openSource({
      ...base(),
      mode: 'incrementing',
      table: 'gaps',
      incrementingColumn: 'id',
      visibilityDelayMs: 1000,
    });
    try {
      // No cursor yet: even the first rows wait for the delay (a lower id might still commit).
      const r0 = await source.poll(undefined);
      expect(r0.events).toHaveLength(0);
      await sleep(1100);
      const r1 = await source.poll(r0.checkpoint);
      expect(r1.events.map((e) => Number((e.value as { id: unknown }).id))).toEqual([1, 2, 4]);
      await db.knex.raw('INSERT INTO gaps VALUES (5, ?), (7, ?)', ['e', 'g']);
      const r2 = await source.poll(r1.checkpoint);
      expect(r2.events.map((e) => Number((e.value as { id: unknown }).id))).toEqual([5]);
      await sleep(300);
      await db.knex.raw('INSERT INTO gaps VALUES (6, ?)', ['f']); // the late commit
      const r3 = await source.poll(r2.checkpoint);
      expect(r3.events.map((e) => Number((e.value as { id: unknown }).id))).toEqual([6, 7]);
      expect(r3.checkpoint).toMatchObject({ mode: 'incrementing' });
      expect((r3.checkpoint as { horizons?: unknown }).horizons).toBeUndefined();
    } finally {
      await source.close?.();
    }
  });

  it('query mode binds :cursor and :limit and leaves look-alikes in strings alone', async () => {
    await db.knex.raw(`CREATE TABLE q (id ${t.bigint} PRIMARY KEY, note ${t.text})`);
    for (let i = 1; i <= 12; i++) await db.knex.raw('INSERT INTO q VALUES (?, ?)', [i, i % 2 === 0 ? 'even' : 'odd?']);
    const source = await openSource({
      ...base(),
      mode: 'query',
      query:
        "SELECT id, note, ':cursor?' AS lit FROM q WHERE id > :cursor AND note <> 'x:limit' ORDER BY id LIMIT :limit",
      cursorColumn: 'id',
      initialCursor: 0,
      batchSize: 5,
    });
    try {
      const { events, checkpoint } = await drain(source);
      expect(events.map((e) => Number((e.value as { id: unknown }).id))).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
      ]);
      expect((events[0].value as { lit: string }).lit).toBe(':cursor?');
      expect(checkpoint).toMatchObject({ mode: 'query' });
      expect(String((checkpoint as { cursor: unknown }).cursor)).toBe('12');
    } finally {
      await source.close?.();
    }
  });

  it('stops with a fatal error that names a missing table', async () => {
    const source = await openSource({ ...base(), mode: 'bulk', table: 'no_such_table' });
    try {
      await expect(source.poll(undefined)).rejects.toMatchObject({ kind: 'fatal', code: 'E_SQL_MISSING_TABLE' });
    } finally {
      await source.close?.();
    }
  });

  it('refuses a checkpoint written in another mode, saying how to reset it', async () => {
    const source = await openSource({ ...base(), mode: 'incrementing', table: 'gaps', incrementingColumn: 'id' });
    try {
      await expect(source.poll({ mode: 'timestamp', timestamp: 'x' })).rejects.toMatchObject({
        kind: 'fatal',
        message: expect.stringContaining('sluice offsets'),
      });
    } finally {
      await source.close?.();
    }
  });
});

describe('sql source connection failures', () => {
  it('a server that is down is retryable', async () => {
    const source = await openSource({
      client: 'pg',
      connection: 'postgres://postgres@127.0.0.1:1/nothing',
      mode: 'bulk',
      table: 't',
      pool: { acquireTimeoutMs: 2000 },
    });
    try {
      await expect(source.poll(undefined)).rejects.toMatchObject({ kind: 'retryable', code: 'E_SQL_CONNECTION' });
    } finally {
      await source.close?.();
    }
  });

  it('an unknown database is fatal and says what to fix, without the password', async () => {
    const source = await openSource({
      client: 'pg',
      connection: 'postgres://postgres:s3cret-pw@127.0.0.1:5432/sluice_no_such_db',
      mode: 'bulk',
      table: 't',
    });
    try {
      const err = (await source.poll(undefined).catch((e: unknown) => e)) as Error & { kind: string; code: string };
      expect(err).toMatchObject({ kind: 'fatal', code: 'E_SQL_UNKNOWN_DATABASE' });
      expect(err.message).toContain('database name');
      expect(err.message).not.toContain('s3cret-pw');
    } finally {
      await source.close?.();
    }
  });

  it('bad MariaDB credentials are fatal', async () => {
    const source = await openSource({
      client: 'mysql2',
      connection: 'mysql://sluice_nobody:wrong@127.0.0.1:3306/test',
      mode: 'bulk',
      table: 't',
    });
    try {
      await expect(source.poll(undefined)).rejects.toMatchObject({ kind: 'fatal', code: 'E_SQL_AUTH' });
    } finally {
      await source.close?.();
    }
  });
});
