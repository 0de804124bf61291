// 100 000 rows written by concurrent writers, with many rows sharing a timestamp and transactions that commit
// after later rows are already visible, must each be read exactly once by every incremental mode.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sqlSource from '../../connectors/sql/source.js';
import type { PollSource } from '../../core/plugin.js';
import {
  CLIENTS,
  type Client,
  createTestDatabase,
  rows,
  type TestDatabase,
  TYPES,
  testContext,
} from '../harness/sql-databases.js';

// better-sqlite3 ships no types; the few calls the writers make are typed here.
interface SqliteDb {
  prepare(sql: string): { run(...values: unknown[]): unknown };
  transaction(fn: () => void): () => void;
  close(): void;
}
const Sqlite = createRequire(import.meta.url)('better-sqlite3') as new (
  file: string,
  options?: { timeout?: number },
) => SqliteDb;

const TOTAL = 100_000;
const WRITERS = 4;
const BATCH = 500;
// The delay leaves room for event-loop stalls of the test process itself (up to about a second under vitest
// here), which make a late transaction later still: the contract under test is "commits within the delay".
const DELAY_MS = 3000;
const LATE_MS = 900; // the longest a late transaction stays open

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** UTC `YYYY-MM-DD hh:mm:ss.mmm`, truncated to 10 ms so that writers and batches share timestamps. */
function bucketTimestamp(agoMs = 0): string {
  const ms = Math.floor((Date.now() - agoMs) / 10) * 10;
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

interface Reader {
  mode: string;
  seen: Map<string, number>;
  polls: number;
}

describe.each(CLIENTS)('sql source exactly once on %s', (client: Client) => {
  let db: TestDatabase;
  const t = TYPES[client];

  beforeAll(async () => {
    db = await createTestDatabase(client, 'sluice_once');
    await db.knex.raw(
      `CREATE TABLE feed (id ${t.id}, writer INTEGER NOT NULL, seq INTEGER NOT NULL, updated ${t.ts} NOT NULL)`,
    );
    await db.knex.raw('CREATE INDEX feed_updated ON feed (updated, id)');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('reads 100 000 rows from concurrent writers, equal timestamps and late commits, each exactly once in every incremental mode', async () => {
    const sqliteWriters =
      client === 'better-sqlite3' ? Array.from({ length: WRITERS }, () => new Sqlite(db.url, { timeout: 10_000 })) : [];
    let lateTransactions = 0;

    async function writer(w: number): Promise<void> {
      const batches = TOTAL / WRITERS / BATCH;
      for (let b = 0; b < batches; b++) {
        const isLate = b % 6 === 2;
        const ts = bucketTimestamp();
        const values = Array.from({ length: BATCH }, (_, i) => [w, b * BATCH + i, ts]);
        const hold = isLate ? 300 + Math.floor(Math.random() * (LATE_MS - 300)) : 0;
        if (isLate) lateTransactions++;
        if (client === 'better-sqlite3') {
          // SQLite has one writer at a time and better-sqlite3 commits synchronously: a late commit is a batch
          // stamped `hold` ms in the past, committed after other writers' later rows.
          const late = hold ? bucketTimestamp(hold) : ts;
          for (const v of values) v[2] = late;
          const insert = sqliteWriters[w].prepare('INSERT INTO feed (writer, seq, updated) VALUES (?, ?, ?)');
          sqliteWriters[w].transaction(() => {
            for (const v of values) insert.run(...v);
          })();
          if (hold) await sleep(hold); // keeps the writes spread over time, as on the other databases
        } else {
          await db.knex.transaction(async (trx) => {
            await trx.raw(
              `INSERT INTO feed (writer, seq, updated) VALUES ${values.map(() => '(?, ?, ?)').join(', ')}`,
              values.flat(),
            );
            // Ids and timestamps are taken; the commit comes after other writers' later rows are visible.
            if (hold) await sleep(hold);
          });
        }
        await sleep(Math.floor(Math.random() * 15));
      }
    }

    const configs = [
      { mode: 'timestamp+incrementing', timestampColumn: 'updated', incrementingColumn: 'id', batchSize: 1000 },
      { mode: 'timestamp', timestampColumn: 'updated', batchSize: 700 },
      { mode: 'incrementing', incrementingColumn: 'id', batchSize: 1000 },
    ];
    const sources: PollSource[] = [];
    for (const c of configs) {
      const parsed = sqlSource.config.parse({
        client,
        connection: db.url,
        table: 'feed',
        visibilityDelayMs: DELAY_MS,
        ...c,
      });
      sources.push((await sqlSource.create(parsed, testContext())) as PollSource);
    }
    const readers: Reader[] = configs.map((c) => ({ mode: c.mode, seen: new Map(), polls: 0 }));
    let isWriting = true;
    let writersDoneAt = Number.POSITIVE_INFINITY;

    async function read(source: PollSource, reader: Reader): Promise<void> {
      let checkpoint: unknown;
      let quietSince = 0;
      for (;;) {
        const result = await source.poll(checkpoint);
        // The runtime stores the checkpoint as JSON: make sure it survives that.
        checkpoint = JSON.parse(JSON.stringify(result.checkpoint));
        reader.polls++;
        for (const e of result.events) {
          const v = e.value as { writer: unknown; seq: unknown };
          const id = `${v.writer}-${v.seq}`;
          reader.seen.set(id, (reader.seen.get(id) ?? 0) + 1);
        }
        if (result.hasMore) continue;
        if (isWriting || result.events.length > 0) quietSince = Date.now();
        // Caught up: nothing new for longer than the delay (plus the gap timer of incrementing mode) after writing stopped.
        if (!isWriting && Date.now() - Math.max(quietSince, writersDoneAt) > 2 * DELAY_MS + 500) return;
        await sleep(50);
      }
    }

    const started = Date.now();
    const reading = sources.map((s, i) => read(s, readers[i]));
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    isWriting = false;
    writersDoneAt = Date.now();
    const writeMs = Date.now() - started;
    await Promise.all(reading);
    for (const s of sources) await s.close?.();
    for (const w of sqliteWriters) w.close();

    const [{ n }] = await rows<{ n: unknown }>(db.knex, 'SELECT COUNT(*) AS n FROM feed');
    expect(Number(n)).toBe(TOTAL);
    const [{ groups }] = await rows<{ groups: unknown }>(
      db.knex,
      'SELECT COUNT(*) AS groups FROM (SELECT updated FROM feed GROUP BY updated HAVING COUNT(*) > 1) g',
    );
    expect(Number(groups)).toBeGreaterThan(10); // many timestamps are shared
    expect(lateTransactions).toBeGreaterThan(20);
    for (const reader of readers) {
      const duplicates = [...reader.seen.values()].filter((count) => count > 1).length;
      expect({ mode: reader.mode, read: reader.seen.size, duplicates }).toEqual({
        mode: reader.mode,
        read: TOTAL,
        duplicates: 0,
      });
    }
    // Visible in the test log: how long it took.
    console.log(`${client}: wrote ${TOTAL} rows in ${writeMs} ms, all read in ${Date.now() - started} ms`);
  }, 120_000);
});
