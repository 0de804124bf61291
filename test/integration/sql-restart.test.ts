// A PostgreSQL restart in the middle of a run: the source and the sink fail with retryable errors while it is
// down, reconnect when it is back, and no row is lost or written twice.
import type { Knex } from 'knex';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sqlSink from '../../connectors/sql/sink.js';
import sqlSource from '../../connectors/sql/source.js';
import type { SluiceEvent } from '../../core/event.js';
import type { PollSource, SinkInstance } from '../../core/plugin.js';
import { rows, testContext } from '../harness/sql-databases.js';
import { ThrowawayPostgres } from '../harness/throwaway-postgres.js';

const TOTAL = 20_000;
const BATCH = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `fn` until it succeeds, with capped exponential backoff, as the runtime does; records each error. */
async function retrying<T>(fn: () => Promise<T>, errors: Array<{ kind: string; code: string }>): Promise<T> {
  let wait = 50;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const e = err as { kind?: string; code?: string; message?: string };
      errors.push({ kind: e.kind ?? 'unknown', code: e.code ?? String(e.message) });
      if (e.kind === 'fatal' || e.kind === 'config') throw err;
      await sleep(wait);
      wait = Math.min(wait * 2, 1000);
    }
  }
}

describe('sql connectors across a PostgreSQL restart', () => {
  let pg: ThrowawayPostgres;
  let knex: Knex;

  beforeAll(async () => {
    pg = await ThrowawayPostgres.start();
    knex = knexFactory({
      client: 'pg',
      connection: pg.url(),
      pool: { min: 0, max: 4 },
      log: { warn() {}, error() {}, debug() {}, deprecate() {} },
    });
    await knex.raw(
      'CREATE TABLE feed (id bigserial PRIMARY KEY, writer int NOT NULL, seq int NOT NULL, ' +
        'updated timestamp(6) NOT NULL DEFAULT clock_timestamp(), UNIQUE (writer, seq))',
    );
    await knex.raw('CREATE TABLE copy (writer int NOT NULL, seq int NOT NULL)');
  }, 120_000);

  afterAll(async () => {
    await knex?.destroy();
    await pg?.destroy();
  });

  it('loses nothing and writes nothing twice when the database restarts mid-run', async () => {
    const ctx = testContext('restart');
    const source = (await sqlSource.create(
      sqlSource.config.parse({
        client: 'pg',
        connection: pg.url(),
        table: 'feed',
        mode: 'timestamp+incrementing',
        timestampColumn: 'updated',
        incrementingColumn: 'id',
        visibilityDelayMs: 1000,
        batchSize: 500,
        pool: { acquireTimeoutMs: 2000 },
      }),
      ctx,
    )) as PollSource;
    const sink: SinkInstance = await sqlSink.create(
      sqlSink.config.parse({ client: 'pg', connection: pg.url(), table: 'copy', pool: { acquireTimeoutMs: 2000 } }),
      ctx,
    );
    const sourceErrors: Array<{ kind: string; code: string }> = [];
    const sinkErrors: Array<{ kind: string; code: string }> = [];
    const writerErrors: Array<{ kind: string; code: string }> = [];
    const seen = new Map<string, number>();
    let isWriting = true;
    let writersDoneAt = Number.POSITIVE_INFINITY;
    let nextId = 0;

    // Writers are idempotent per batch, so a batch whose commit was cut off can simply be sent again.
    async function writer(w: number) {
      for (let b = 0; b < TOTAL / 2 / BATCH; b++) {
        const values = Array.from({ length: BATCH }, (_, i) => [w, b * BATCH + i]);
        await retrying(
          () =>
            knex.raw(
              `INSERT INTO feed (writer, seq) VALUES ${values.map(() => '(?, ?)').join(', ')} ON CONFLICT DO NOTHING`,
              values.flat(),
            ),
          writerErrors,
        );
        await sleep(20);
      }
    }

    async function pipeline() {
      let checkpoint: unknown;
      let quietSince = Date.now();
      for (;;) {
        const result = await retrying(() => source.poll(checkpoint), sourceErrors);
        checkpoint = JSON.parse(JSON.stringify(result.checkpoint));
        // The runtime stores the events (giving them ids) with the checkpoint, then the sink gets them.
        const stored: SluiceEvent[] = result.events.map((e) => ({ ...e, id: `0-${1_000_000 + nextId++}-0` }));
        for (const e of stored) {
          const v = e.value as { writer: number; seq: number };
          seen.set(`${v.writer}-${v.seq}`, (seen.get(`${v.writer}-${v.seq}`) ?? 0) + 1);
        }
        if (stored.length > 0) {
          const batch = stored.map((e) => {
            const v = e.value as { writer: number; seq: number };
            return { ...e, value: { writer: v.writer, seq: v.seq } };
          });
          await retrying(async () => sink.write(batch), sinkErrors);
        }
        if (result.hasMore) continue;
        if (isWriting || stored.length > 0) quietSince = Date.now();
        if (!isWriting && Date.now() - Math.max(quietSince, writersDoneAt) > 2500) return;
        await sleep(50);
      }
    }

    const running = pipeline();
    const writing = Promise.all([writer(0), writer(1)]);
    await sleep(1500);
    await pg.restart(800);
    await writing;
    isWriting = false;
    writersDoneAt = Date.now();
    await running;
    await source.close?.();
    await sink.close?.();

    const [{ n }] = await rows<{ n: string }>(knex, 'SELECT COUNT(*) AS n FROM feed');
    expect(Number(n)).toBe(TOTAL);
    const duplicates = [...seen.values()].filter((c) => c > 1).length;
    expect({ read: seen.size, duplicates }).toEqual({ read: TOTAL, duplicates: 0 });
    const [{ copied, distinct }] = await rows<{ copied: string; distinct: string }>(
      knex,
      'SELECT COUNT(*) AS copied, COUNT(DISTINCT (writer, seq)) AS distinct FROM copy',
    );
    expect({ copied: Number(copied), distinct: Number(distinct) }).toEqual({ copied: TOTAL, distinct: TOTAL });
    // The outage was seen, and only ever as retryable.
    expect(sourceErrors.length + sinkErrors.length).toBeGreaterThan(0);
    expect([...sourceErrors, ...sinkErrors].filter((e) => e.kind !== 'retryable')).toEqual([]);
  }, 120_000);
});
