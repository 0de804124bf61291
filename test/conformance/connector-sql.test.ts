// The record parts of the connector conformance suite on SQL: the sql sink writes rows (mode insert, no key on
// the table, so only the sink's own record of written ranges keeps a redelivered batch from adding rows) and the
// sql source reads them back in incrementing mode, on PostgreSQL, MariaDB and SQLite. PostgreSQL and MariaDB are
// reached through a TCP proxy for the connection cut; SQLite is a file, with no connection to cut.
import { randomBytes } from 'node:crypto';
import sqlSink from '../../connectors/sql/sink.js';
import sqlSource from '../../connectors/sql/source.js';
import type { SluiceEvent } from '../../core/event.js';
import type { PollSource } from '../../core/plugin.js';
import { CLIENTS, createTestDatabase, testContext } from '../harness/sql-databases.js';
import { TcpProxy } from '../harness/tcp-proxy.js';
import { describeRecordConnectorConformance } from './record-connector.js';

const NAMES = { pg: 'PostgreSQL', mysql2: 'MariaDB', 'better-sqlite3': 'SQLite' } as const;

for (const client of CLIENTS) {
  describeRecordConnectorConformance(`SQL on ${NAMES[client]} (sql sink → sql source)`, async () => {
    const db = await createTestDatabase(client, 'sluice_conf');
    const proxy = client === 'better-sqlite3' ? undefined : await TcpProxy.start(Number(new URL(db.url).port));
    const proxied = (() => {
      if (!proxy) return db.url;
      const url = new URL(db.url);
      url.port = String(proxy.port);
      return url.toString();
    })();
    return {
      capabilities: { keys: false, timestamps: false, effectivelyOnceSink: true },
      // NOT NULL refuses it on every database (SQLite takes any type in any column).
      badValue: (n) => ({ n, s: null }),
      async channel() {
        const table = `conf_${randomBytes(4).toString('hex')}`;
        await db.knex.schema.createTable(table, (t) => {
          t.integer('n').notNullable();
          t.text('s').notNullable();
        });
        const source = (batchSize: number) =>
          sqlSource.create(
            sqlSource.config.parse({
              client,
              connection: db.url,
              table,
              mode: 'incrementing',
              incrementingColumn: 'n',
              visibilityDelayMs: 0,
              batchSize,
            }),
            testContext(),
          ) as Promise<PollSource>;
        return {
          sink: async () =>
            sqlSink.create(
              sqlSink.config.parse({ client, connection: proxied, table, mode: 'insert' }),
              testContext('conformance'),
            ),
          async readBack() {
            const reader = await source(100_000);
            const read: SluiceEvent[] = [];
            try {
              let checkpoint: unknown;
              for (;;) {
                const result = await reader.poll(checkpoint);
                read.push(...result.events);
                checkpoint = result.checkpoint;
                if (!result.hasMore) break;
              }
            } finally {
              await reader.close?.();
            }
            return read;
          },
          pollSource: source,
          ...(proxy ? { cut: () => void proxy.cutMidTransfer() } : {}),
          close: async () => {},
        };
      },
      async cleanup() {
        await proxy?.close();
        await db.drop();
      },
    };
  });
}
