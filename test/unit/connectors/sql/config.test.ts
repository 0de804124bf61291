import { describe, expect, it } from 'vitest';
import sqlSink from '../../../../connectors/sql/sink.js';
import sqlSource from '../../../../connectors/sql/source.js';

const conn = { client: 'pg', connection: 'postgres://localhost/db' };

describe('sql connector config', () => {
  it('fills defaults and keeps the connection string secret in the schema', () => {
    const c = sqlSource.config.parse({ ...conn, mode: 'incrementing', table: 't', incrementingColumn: 'id' });
    expect(c).toMatchObject({
      intervalMs: 5000,
      batchSize: 1000,
      visibilityDelayMs: 5000,
      bigintAs: 'string',
      pool: { max: 4 },
    });
    const schema = sqlSource.config as unknown as { shape?: Record<string, { meta(): unknown }> };
    expect(schema.shape?.connection.meta()).toMatchObject({ secret: true });
  });

  it('asks for what each mode needs', () => {
    const issues = (input: object) =>
      sqlSource.config.safeParse({ ...conn, ...input }).error?.issues.map((i) => i.message) ?? [];
    expect(issues({ mode: 'incrementing', table: 't' })).toContain(
      'incrementingColumn is required in mode incrementing',
    );
    expect(issues({ mode: 'timestamp+incrementing', table: 't', incrementingColumn: 'id' })).toContain(
      'timestampColumn is required in mode timestamp+incrementing',
    );
    expect(issues({ mode: 'bulk' })).toContain('table is required in mode bulk');
    expect(issues({ mode: 'query', query: 'SELECT 1', cursorColumn: 'id', initialCursor: 0 })).toContain(
      'query must use :cursor (rows after the last cursor)',
    );
    expect(sqlSink.config.safeParse({ ...conn, table: 't', mode: 'upsert' }).error?.issues[0].message).toBe(
      'keyColumns is required in mode upsert',
    );
  });

  it('rejects a mapping that is not JSONata, at load time', () => {
    const r = sqlSink.config.safeParse({ ...conn, table: 't', mapping: '{ "a": ' });
    expect(r.error?.issues[0].message).toMatch(/not a valid JSONata expression/);
  });

  it('refuses an offsets table name that leaves no room for the ranges table beside it', () => {
    const issues = (offsetsTable: string) =>
      sqlSink.config.safeParse({ ...conn, table: 't', offsetsTable }).error?.issues.map((i) => i.message) ?? [];
    expect(issues(`warehouse.${'o'.repeat(56)}`)).toEqual([]);
    expect(issues('o'.repeat(57))).toEqual([expect.stringContaining('"_ranges" table beside it: at most 56 bytes')]);
  });
});
