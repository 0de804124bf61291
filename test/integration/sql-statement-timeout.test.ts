// A PostgreSQL connection that falls silent mid-batch (the network holds every byte, the sockets stay open)
// must not hold a delivery job forever: the write fails as retryable once statementTimeoutMs has passed, the
// silent connection is not reused, and the next write after the network is back succeeds, writing nothing twice.
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sqlSink from '../../connectors/sql/sink.js';
import type { SluiceEvent } from '../../core/event.js';
import type { SinkInstance } from '../../core/plugin.js';
import { testContext } from '../harness/sql-databases.js';
import { TcpProxy } from '../harness/tcp-proxy.js';

const table = `stall_${process.pid}_${Date.now()}`;

describe('sql sink on a PostgreSQL connection that falls silent', () => {
  let admin: Knex;
  let proxy: TcpProxy;

  beforeAll(async () => {
    admin = knexFactory({
      client: 'pg',
      connection: 'postgres://postgres@127.0.0.1:5432/test',
      pool: { min: 0, max: 1 },
    });
    await admin.raw('select 1');
    proxy = await TcpProxy.start(5432);
  });

  afterAll(async () => {
    await proxy?.close();
    await admin?.schema.dropTableIfExists(table);
    await admin?.destroy();
  });

  it('fails the batch as retryable after statementTimeoutMs and writes it once when the network is back', async () => {
    const sink: SinkInstance = await sqlSink.create(
      sqlSink.config.parse({
        client: 'pg',
        connection: `postgres://postgres@127.0.0.1:${proxy.port}/test`,
        table,
        autoCreate: true,
        offsetsTable: `${table}_offsets`,
        statementTimeoutMs: 500,
        pool: { max: 1, acquireTimeoutMs: 2000 },
      }),
      testContext('stall'),
    );
    const batch = (from: number): SluiceEvent[] =>
      [0, 1, 2].map((i) => ({ key: null, value: { n: from + i }, ts: 0, headers: {}, id: `0-${1000 + from + i}-0` }));
    try {
      await sink.write(batch(0));
      proxy.stall();
      await expect(sink.write(batch(3))).rejects.toMatchObject({ kind: 'retryable', code: 'E_SQL_CONNECTION' });
      proxy.resume();
      // The runtime retries the failed batch; the first attempts may still meet the old connection's end.
      for (let attempt = 0; ; attempt++) {
        try {
          await sink.write(batch(3));
          break;
        } catch (err) {
          expect(err).toMatchObject({ kind: 'retryable' });
          if (attempt > 50) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      await sink.write(batch(3));
      const rows = await admin(table).select('n').orderBy('n');
      expect(rows.map((r) => Number(r.n))).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      await sink.close?.();
      await admin.schema.dropTableIfExists(`${table}_offsets`);
      await admin.schema.dropTableIfExists(`${table}_offsets_ranges`);
    }
  }, 120_000);
});
