import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sqlSink from '../../connectors/sql/sink.js';
import type { SluiceEvent } from '../../core/event.js';
import type { SinkInstance, WriteResult } from '../../core/plugin.js';
import {
  CLIENTS,
  type Client,
  createTestDatabase,
  rows,
  type TestDatabase,
  TYPES,
  testContext,
} from '../harness/sql-databases.js';

let nextMs = 1_700_000_000_000;
function ev(
  value: unknown,
  options: { key?: string | null; id?: string | null; partition?: number } = {},
): SluiceEvent {
  const id = options.id === null ? undefined : (options.id ?? `${options.partition ?? 0}-${nextMs++}-0`);
  return { key: options.key ?? null, value, ts: 1_700_000_000_000, headers: {}, ...(id ? { id } : {}) };
}

async function openSink(config: Record<string, unknown>, pipeline = 'sink-test'): Promise<SinkInstance> {
  return sqlSink.create(sqlSink.config.parse(config), testContext(pipeline));
}

async function write(sink: SinkInstance, batch: SluiceEvent[]): Promise<WriteResult> {
  return (await sink.write(batch)) ?? {};
}

describe.each(CLIENTS)('sql sink on %s', (client: Client) => {
  let db: TestDatabase;
  const t = TYPES[client];
  const keyText = client === 'mysql2' ? 'VARCHAR(64)' : 'TEXT';
  const base = () => ({ client, connection: db.url });
  const count = async (table: string) =>
    Number((await rows<{ n: unknown }>(db.knex, `SELECT COUNT(*) AS n FROM ${table}`))[0].n);

  beforeAll(async () => {
    db = await createTestDatabase(client, 'sluice_sink');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('inserts fields by name: JSON objects into JSON columns, bytes into blobs', async () => {
    await db.knex.raw(`CREATE TABLE plain (name ${keyText}, n INTEGER, doc ${t.json}, raw ${t.bytes}, note ${t.text})`);
    const sink = await openSink({ ...base(), table: 'plain' });
    try {
      const result = await write(sink, [
        ev({ name: 'a', n: 1, doc: { x: [1, 2] }, raw: new Uint8Array([1, 2, 3]), note: "it's" }),
        ev({ name: 'b', n: 2, doc: 'text as JSON' }),
      ]);
      expect(result.rejected ?? []).toEqual([]);
      const got = await rows<Record<string, unknown>>(db.knex, 'SELECT * FROM plain ORDER BY name');
      expect(got).toHaveLength(2);
      // PostgreSQL and MariaDB hand JSON columns back parsed; SQLite keeps the text.
      const json = (v: unknown) => (client === 'better-sqlite3' ? JSON.parse(v as string) : v);
      const doc = json(got[0].doc);
      expect(doc).toEqual({ x: [1, 2] });
      expect(Buffer.from(got[0].raw as Buffer)).toEqual(Buffer.from([1, 2, 3]));
      expect(got[0].note).toBe("it's");
      expect(json(got[1].doc)).toBe('text as JSON');
    } finally {
      await sink.close?.();
    }
  });

  it('writes nothing twice when a batch is redelivered, and only the new part of an overlapping one', async () => {
    await db.knex.raw(`CREATE TABLE redelivered (n INTEGER)`);
    const sink = await openSink({ ...base(), table: 'redelivered' });
    try {
      const batch = Array.from({ length: 10 }, (_, i) => ev({ n: i }));
      await write(sink, batch);
      await write(sink, batch);
      expect(await count('redelivered')).toBe(10);
      const more = Array.from({ length: 5 }, (_, i) => ev({ n: 10 + i }));
      await write(sink, [...batch.slice(5), ...more]);
      expect(await count('redelivered')).toBe(15);
      // A second sink instance (a worker restarted) sees the same offsets.
      const again = await openSink({ ...base(), table: 'redelivered' });
      await write(again, [...batch, ...more]);
      await again.close?.();
      expect(await count('redelivered')).toBe(15);
    } finally {
      await sink.close?.();
    }
  });

  it.runIf(client !== 'better-sqlite3')(
    'writes a batch once when two deliveries of it wait for the same partition at once',
    async () => {
      await db.knex.raw(`CREATE TABLE twice_at_once (n INTEGER)`);
      const config = { ...base(), table: 'twice_at_once', offsetsTable: 'at_once_offsets' };
      const [a, b] = [await openSink(config), await openSink(config)];
      const blocker = await db.knex.transaction();
      try {
        // Both know the offsets tables and the partition's row from here on (the second write is a redelivery).
        const first = [ev({ n: 0 })];
        await write(a, first);
        await write(b, first);
        const batch = Array.from({ length: 10 }, (_, i) => ev({ n: i + 1 }));
        // Both deliveries start while the partition is locked, so each reads the offsets before the other wrote.
        await blocker.raw('SELECT * FROM at_once_offsets FOR UPDATE');
        const writes = [write(a, batch), write(b, batch)];
        // Sessions of this test's own database only: other suites running at the same time wait on locks too.
        const waiting =
          client === 'pg'
            ? "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            : 'SELECT COUNT(*) AS n FROM information_schema.innodb_trx t JOIN information_schema.processlist p ' +
              "ON p.id = t.trx_mysql_thread_id WHERE t.trx_state = 'LOCK WAIT' AND p.db = DATABASE()";
        // Both wait within moments here; on a machine loaded by every other suite, one may still be on its way
        // after 15 s: the lock is released then all the same, and what must hold below holds in any order.
        const deadline = Date.now() + 15_000;
        while (Number((await rows<{ n: unknown }>(db.knex, waiting))[0].n) < 2 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
        await blocker.commit();
        for (const result of await Promise.all(writes)) expect(result.rejected ?? []).toEqual([]);
        expect(await count('twice_at_once')).toBe(11);
      } finally {
        if (!blocker.isCompleted()) await blocker.rollback();
        await Promise.all([a.close?.(), b.close?.()]);
      }
    },
  );

  it('writes a batch retried after a later batch of its partition succeeded (deliveries out of order)', async () => {
    await db.knex.raw(`CREATE TABLE out_of_order (n INTEGER)`);
    const sink = await openSink({ ...base(), table: 'out_of_order' });
    try {
      const first = Array.from({ length: 5 }, (_, i) => ev({ n: i }));
      const second = Array.from({ length: 5 }, (_, i) => ev({ n: 5 + i }));
      await write(sink, second);
      await write(sink, first); // the retry of a batch that failed before
      await write(sink, first); // and once more: no duplicates
      await write(sink, second);
      const got = await rows<{ n: number }>(db.knex, 'SELECT n FROM out_of_order ORDER BY n');
      expect(got.map((r) => Number(r.n))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    } finally {
      await sink.close?.();
    }
  });

  it('compares event ids as numbers per partition (0-999-0 is before 0-1000-0) and keeps partitions apart', async () => {
    await db.knex.raw(`CREATE TABLE ordered_ids (n INTEGER)`);
    const sink = await openSink({ ...base(), table: 'ordered_ids' });
    try {
      await write(sink, [ev({ n: 1 }, { id: '0-999-5' })]);
      await write(sink, [ev({ n: 2 }, { id: '0-1000-0' })]);
      await write(sink, [ev({ n: 3 }, { id: '1-5-0' })]);
      await write(sink, [
        ev({ n: 4 }, { id: '0-1000-0' }),
        ev({ n: 5 }, { id: '1-5-0' }),
        ev({ n: 6 }, { id: '1-5-1' }),
      ]);
      const got = await rows<{ n: number }>(db.knex, 'SELECT n FROM ordered_ids ORDER BY n');
      expect(got.map((r) => Number(r.n))).toEqual([1, 2, 3, 6]);
    } finally {
      await sink.close?.();
    }
  });

  it('upserts on the key columns and deletes on a null value, in batch order', async () => {
    await db.knex.raw(`CREATE TABLE people (id ${keyText} PRIMARY KEY, name ${t.text}, age INTEGER)`);
    const sink = await openSink({ ...base(), table: 'people', mode: 'upsert', keyColumns: ['id'] });
    try {
      await write(sink, [ev({ id: 'p1', name: 'Ann', age: 30 }), ev({ id: 'p2', name: 'Bob', age: 40 })]);
      await write(sink, [
        ev({ id: 'p1', name: 'Ann B.', age: 31 }),
        ev(null, { key: 'p2' }),
        ev({ id: 'p3', name: 'Cy', age: 5 }),
        ev({ id: 'p3', name: 'Cyd', age: 6 }),
        ev(null, { key: '{"id":"p3"}' }),
        ev({ name: 'Dee', age: 7 }, { key: 'p4' }), // key column from the event key
      ]);
      const got = await rows<{ id: string; name: string; age: number }>(db.knex, 'SELECT * FROM people ORDER BY id');
      expect(got.map((r) => [r.id, r.name, Number(r.age)])).toEqual([
        ['p1', 'Ann B.', 31],
        ['p4', 'Dee', 7],
      ]);
    } finally {
      await sink.close?.();
    }
  });

  it('an upsert of some fields leaves the other columns as they are', async () => {
    const sink = await openSink({ ...base(), table: 'people', mode: 'upsert', keyColumns: ['id'] });
    try {
      await write(sink, [ev({ id: 'p1', age: 32 })]);
      const [p1] = await rows<{ name: string; age: number }>(db.knex, "SELECT * FROM people WHERE id = 'p1'");
      expect([p1.name, Number(p1.age)]).toEqual(['Ann B.', 32]);
    } finally {
      await sink.close?.();
    }
  });

  it('creates a missing table from the first batch with autoCreate', async () => {
    const sink = await openSink({ ...base(), table: 'created', mode: 'upsert', keyColumns: ['id'], autoCreate: true });
    try {
      const result = await write(sink, [
        ev({ id: 1, name: 'a', score: 1.5, ok: true, tags: ['x'], at: '2024-05-01T10:00:00.123Z' }),
        ev({ id: 2, name: 'b', score: 2, ok: false, tags: [], at: '2024-05-01T11:00:00Z' }),
      ]);
      expect(result.rejected ?? []).toEqual([]);
      const got = await rows<Record<string, unknown>>(db.knex, 'SELECT * FROM created ORDER BY id');
      expect(got).toHaveLength(2);
      expect(Number(got[1].score)).toBe(2);
      // The key became the primary key: an upsert of id 1 updates it.
      await write(sink, [ev({ id: 1, name: 'a2' })]);
      expect(await count('created')).toBe(2);
    } finally {
      await sink.close?.();
    }
  });

  it('creates number columns that hold integers and fractions alike (60.0 first, then 60.5)', async () => {
    const sink = await openSink({ ...base(), table: 'speeds', mode: 'upsert', keyColumns: ['car'], autoCreate: true });
    try {
      // JSON.parse('{"speed":60.0}') is {speed: 60}: the first batch cannot tell an integer column from a real one.
      expect((await write(sink, [ev(JSON.parse('{"car":7,"speed":60.0}'))])).rejected ?? []).toEqual([]);
      expect((await write(sink, [ev({ car: 8, speed: 60.5 })])).rejected ?? []).toEqual([]);
      const got = await rows<{ car: unknown; speed: unknown }>(db.knex, 'SELECT car, speed FROM speeds ORDER BY car');
      expect(got.map((r) => [Number(r.car), Number(r.speed)])).toEqual([
        [7, 60],
        [8, 60.5],
      ]);
    } finally {
      await sink.close?.();
    }
  });

  it('several workers starting at once create the table and the offsets table without losing a batch', async () => {
    const sinks = await Promise.all(
      Array.from({ length: 6 }, () =>
        openSink({ ...base(), table: 'raced', autoCreate: true, autoEvolve: true, offsetsTable: 'raced_offsets' }),
      ),
    );
    try {
      const results = await Promise.all(
        sinks.map((sink, w) =>
          write(
            sink,
            Array.from({ length: 50 }, (_, i) => ev({ w, i, [`only_${w}`]: true }, { partition: w })),
          ),
        ),
      );
      for (const r of results) expect(r.rejected ?? []).toEqual([]);
      expect(await count('raced')).toBe(300);
    } finally {
      await Promise.all(sinks.map((s) => s.close?.()));
    }
  });

  it('inserts into a missing table with autoCreate and no key columns', async () => {
    const sink = await openSink({ ...base(), table: 'created_plain', autoCreate: true });
    try {
      await write(sink, [ev({ a: 1, b: 'x' }), ev({ a: 2, b: null })]);
      expect(await count('created_plain')).toBe(2);
    } finally {
      await sink.close?.();
    }
  });

  it('stops with a fatal error for a missing table when autoCreate is off', async () => {
    const sink = await openSink({ ...base(), table: 'absent' });
    try {
      await expect(write(sink, [ev({ a: 1 })])).rejects.toMatchObject({
        kind: 'fatal',
        code: 'E_SQL_MISSING_TABLE',
        message: expect.stringContaining('autoCreate'),
      });
    } finally {
      await sink.close?.();
    }
  });

  it('adds a column for a new field with autoEvolve', async () => {
    await db.knex.raw(`CREATE TABLE evolving (id INTEGER, name ${t.text})`);
    const sink = await openSink({ ...base(), table: 'evolving', autoEvolve: true });
    try {
      await write(sink, [ev({ id: 1, name: 'a' })]);
      const result = await write(sink, [ev({ id: 2, name: 'b', colour: 'red', size: 3 })]);
      expect(result.rejected ?? []).toEqual([]);
      const got = await rows<Record<string, unknown>>(db.knex, 'SELECT * FROM evolving ORDER BY id');
      expect(got[1]).toMatchObject({ colour: 'red' });
      expect(Number(got[1].size)).toBe(3);
      expect(got[0].colour).toBeNull();
    } finally {
      await sink.close?.();
    }
  });

  it('without autoEvolve, dead-letters an event with an unknown field (or drops the field when told to)', async () => {
    const strict = await openSink({ ...base(), table: 'evolving' });
    const lenient = await openSink({ ...base(), table: 'evolving', onUnknownField: 'ignore' });
    try {
      const result = await write(strict, [ev({ id: 3, name: 'c' }), ev({ id: 4, weight: 9 })]);
      expect(result.rejected).toHaveLength(1);
      expect(result.rejected![0].index).toBe(1);
      expect(result.rejected![0].error).toMatchObject({ kind: 'record', code: 'E_SQL_UNKNOWN_COLUMN' });
      expect(result.rejected![0].error.message).toContain('weight');
      const ok = await write(lenient, [ev({ id: 5, weight: 9 })]);
      expect(ok.rejected ?? []).toEqual([]);
      expect(await count('evolving')).toBe(4);
    } finally {
      await strict.close?.();
      await lenient.close?.();
    }
  });

  it('sees a column added to the table while it runs', async () => {
    await db.knex.raw(`CREATE TABLE grows (id INTEGER)`);
    const sink = await openSink({ ...base(), table: 'grows' });
    try {
      await write(sink, [ev({ id: 1 })]);
      expect((await write(sink, [ev({ id: 2, note: 'x' })])).rejected).toHaveLength(1);
      await db.knex.raw(`ALTER TABLE grows ADD COLUMN note ${t.text}`);
      expect((await write(sink, [ev({ id: 3, note: 'y' })])).rejected ?? []).toEqual([]);
      expect(await rows(db.knex, 'SELECT note FROM grows WHERE id = 3')).toEqual([{ note: 'y' }]);
    } finally {
      await sink.close?.();
    }
  });

  it('dead-letters rows the database refuses, with its message, and writes the rest of the batch', async () => {
    await db.knex.raw(`CREATE TABLE strict_rows (id INTEGER PRIMARY KEY, name ${keyText} NOT NULL)`);
    const sink = await openSink({ ...base(), table: 'strict_rows' });
    try {
      await write(sink, [ev({ id: 100, name: 'existing' })]);
      const batch = Array.from({ length: 20 }, (_, i) => ev({ id: i, name: `n${i}` }));
      batch[3] = ev({ id: 3, name: null }); // NOT NULL
      batch[11] = ev({ id: 100, name: 'duplicate' }); // primary key
      batch[17] = ev({ id: 5, name: 'duplicate of 5' }); // duplicate within the batch
      const result = await write(sink, batch);
      expect(result.rejected!.map((r) => r.index)).toEqual([3, 11, 17]);
      for (const r of result.rejected!) expect(r.error).toMatchObject({ kind: 'record', code: 'E_SQL_CONSTRAINT' });
      expect(result.rejected![1].error.message).toMatch(/duplicate|unique/i);
      expect(await count('strict_rows')).toBe(1 + 17);
      // Redelivered: nothing written twice, and the refused rows are not dead-lettered again.
      const again = await write(sink, batch);
      expect(again.rejected ?? []).toEqual([]);
      expect(await count('strict_rows')).toBe(18);
    } finally {
      await sink.close?.();
    }
  });

  it('maps events with a JSONata expression', async () => {
    await db.knex.raw(`CREATE TABLE mapped (event_key ${keyText}, total INTEGER, city ${t.text})`);
    const sink = await openSink({
      ...base(),
      table: 'mapped',
      mapping: '{ "event_key": key, "total": value.a + value.b, "city": value.address.city }',
    });
    try {
      const result = await write(sink, [
        ev({ a: 1, b: 2, address: { city: 'Oslo' } }, { key: 'k1' }),
        ev({ a: 'one', b: 2 }, { key: 'k2' }),
      ]);
      expect(result.rejected!.map((r) => [r.index, (r.error as { code?: string }).code])).toEqual([
        [1, 'E_SQL_MAPPING'],
      ]);
      const got = await rows<Record<string, unknown>>(db.knex, 'SELECT * FROM mapped');
      expect(got.map((r) => [r.event_key, Number(r.total), r.city])).toEqual([['k1', 3, 'Oslo']]);
    } finally {
      await sink.close?.();
    }
  });

  it('rejects values that are not objects with a reason', async () => {
    const sink = await openSink({ ...base(), table: 'plain' });
    try {
      const result = await write(sink, [ev('hello'), ev(new Uint8Array([1])), ev({ name: 'ok' })]);
      expect(result.rejected!.map((r) => r.index)).toEqual([0, 1]);
      expect(result.rejected![1].error.message).toContain('bytes');
    } finally {
      await sink.close?.();
    }
  });

  it('refuses upsert on a table with no unique key on keyColumns, saying what to create', async () => {
    await db.knex.raw(`CREATE TABLE no_key (id INTEGER, v INTEGER)`);
    const sink = await openSink({ ...base(), table: 'no_key', mode: 'upsert', keyColumns: ['id'] });
    try {
      await expect(write(sink, [ev({ id: 1, v: 1 })])).rejects.toMatchObject({
        kind: 'fatal',
        code: 'E_SQL_NO_UNIQUE_KEY',
      });
    } finally {
      await sink.close?.();
    }
  });

  it('writes events without ids (no offsets to compare) every time', async () => {
    await db.knex.raw(`CREATE TABLE no_ids (n INTEGER)`);
    const sink = await openSink({ ...base(), table: 'no_ids' });
    try {
      await write(sink, [ev({ n: 1 }, { id: null })]);
      await write(sink, [ev({ n: 1 }, { id: null })]);
      expect(await count('no_ids')).toBe(2);
    } finally {
      await sink.close?.();
    }
  });

  it('writes a large batch in few statements', async () => {
    await db.knex.raw(`CREATE TABLE big_batch (n INTEGER, s ${t.text})`);
    const sink = await openSink({ ...base(), table: 'big_batch' });
    try {
      const batch = Array.from({ length: 20_000 }, (_, i) => ev({ n: i, s: `row ${i}` }));
      const started = Date.now();
      await write(sink, batch);
      expect(await count('big_batch')).toBe(20_000);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await sink.close?.();
    }
  });
});
