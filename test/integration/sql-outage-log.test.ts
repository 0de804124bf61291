// A database outage is visible in the log: one line when the sink or source loses PostgreSQL, naming them and
// the host (never the password) and saying that it retries, and one when it is back; not a line per attempt.
import type { Knex } from 'knex';
import knexFactory from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sqlSink from '../../connectors/sql/sink.js';
import sqlSource from '../../connectors/sql/source.js';
import type { SluiceEvent } from '../../core/event.js';
import type { Logger, PollSource, SinkInstance } from '../../core/plugin.js';
import { testContext } from '../harness/sql-databases.js';
import { ThrowawayPostgres } from '../harness/throwaway-postgres.js';

const PASSWORD = 'canary-pw-5150';

interface Line {
  level: string;
  fields: object;
  msg: string;
}

function recordingLogger(lines: Line[]): Logger {
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      if (typeof obj === 'string') lines.push({ level, fields: {}, msg: obj });
      else lines.push({ level, fields: obj, msg: msg ?? '' });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const shown = (line: Line) => `${line.msg} ${JSON.stringify(line.fields)}`;

describe('a PostgreSQL outage in the log', () => {
  let pg: ThrowawayPostgres;
  let knex: Knex;

  beforeAll(async () => {
    pg = await ThrowawayPostgres.start();
    knex = knexFactory({ client: 'pg', connection: pg.url(), pool: { min: 0, max: 2 } });
    await knex.raw('CREATE TABLE readings (id bigserial PRIMARY KEY, celsius double precision NOT NULL)');
    await knex.raw('INSERT INTO readings (celsius) VALUES (20.5), (21)');
    await knex.destroy();
  }, 120_000);

  afterAll(async () => {
    await pg?.destroy();
  });

  it('logs the lost connection once and its return once, for the sink and the source', async () => {
    const lines: Line[] = [];
    const ctx = { ...testContext('thermo'), logger: recordingLogger(lines) };
    // Trust authentication takes any password: this one must never reach the log.
    const connection = pg.url().replace('etl@', `etl:${PASSWORD}@`);
    const pool = { acquireTimeoutMs: 1000 };
    const sink: SinkInstance = await sqlSink.create(
      sqlSink.config.parse({ client: 'pg', connection, table: 'copies', autoCreate: true, pool }),
      ctx,
    );
    const source = (await sqlSource.create(
      sqlSource.config.parse({
        client: 'pg',
        connection,
        table: 'readings',
        mode: 'incrementing',
        incrementingColumn: 'id',
        visibilityDelayMs: 0,
        pool,
      }),
      ctx,
    )) as PollSource;
    let n = 0;
    const batch = (): SluiceEvent[] => [{ key: null, value: { n }, ts: 0, headers: {}, id: `0-${1000 + n++}-0` }];
    try {
      await sink.write(batch());
      await source.poll(undefined);
      await pg.stop();
      // The runtime retries a failed batch with backoff; each attempt fails while the database is down.
      for (let attempt = 0; attempt < 5; attempt++) {
        await expect(sink.write(batch())).rejects.toMatchObject({ kind: 'retryable', code: 'E_SQL_CONNECTION' });
        await expect(source.poll(undefined)).rejects.toMatchObject({ kind: 'retryable', code: 'E_SQL_CONNECTION' });
      }
      const lost = lines.filter((l) => l.msg.includes('lost the connection'));
      expect(lost).toHaveLength(2);
      const [sinkLost, sourceLost] = [
        lost.find((l) => l.msg.startsWith('sql sink')),
        lost.find((l) => l.msg.startsWith('sql source')),
      ];
      expect(sinkLost?.level).toBe('warn');
      expect(sinkLost?.msg).toContain('sql sink of pipeline "thermo" writing table "copies"');
      expect(sourceLost?.msg).toContain('sql source of pipeline "thermo"');
      for (const line of lost) {
        expect(line.msg).toContain(`127.0.0.1:${pg.port}`);
        expect(line.msg).toContain('retrying');
        expect(line.fields).toMatchObject({ code: 'E_SQL_CONNECTION', error: expect.any(String) });
      }

      await pg.resume();
      // Until the server accepts again, attempts still fail; the first success ends the outage.
      for (;;) {
        try {
          await sink.write(batch());
          await source.poll(undefined);
          break;
        } catch (err) {
          expect(err).toMatchObject({ kind: 'retryable' });
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await sink.write(batch());
      await source.poll(undefined);
      const back = lines.filter((l) => l.msg.includes('is back after'));
      expect(back.map((l) => l.level)).toEqual(['info', 'info']);
      expect(back.map((l) => l.msg.split(':')[0]).sort()).toEqual([
        'sql sink of pipeline "thermo" writing table "copies"',
        'sql source of pipeline "thermo"',
      ]);
      expect(
        lines
          .filter((l) => l.level !== 'debug')
          .map(shown)
          .join('\n'),
      ).not.toContain(PASSWORD);
      expect(lines.filter((l) => l.msg.includes('lost the connection'))).toHaveLength(2);
    } finally {
      await sink.close?.();
      await source.close?.();
    }
  }, 120_000);
});
