// Runs one statement on a pooled driver connection and returns the rows with the driver's field metadata (which
// the type mapping needs and knex does not pass on): the source's SELECTs, and the sink's one-statement writes on
// PostgreSQL, whose thousand placeholders knex would rewrite twice. Statements use the driver's own placeholders.
// selectRows is the plain knex path for the sink's own small catalog and offsets queries.
import type { Knex } from 'knex';
import type { Database } from './connection.js';
import type { DriverField } from './type-mapping.js';

export interface QueryResult {
  rows: Record<string, unknown>[];
  fields: DriverField[];
}

interface PoolClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
}

type Callback<T> = (err: Error | null, result: T, fields?: DriverField[]) => void;

interface PgConnection {
  query(
    text: string,
    values: unknown[],
    cb: Callback<{ rows: Record<string, unknown>[]; fields: DriverField[] }>,
  ): void;
}
interface MysqlConnection {
  query(sql: string, values: unknown[], cb: Callback<Record<string, unknown>[]>): void;
}
interface SqliteConnection {
  prepare(sql: string): { all(...values: unknown[]): Record<string, unknown>[] };
}

/** `?` placeholders as the driver wants them (`$1…` for PostgreSQL); the SQL must hold no other `?`. */
export function nativePlaceholders(dialect: Database['dialect'], sql: string): string {
  if (dialect !== 'pg') return sql;
  // A loop rather than a replace with a callback: the sink's statements hold a placeholder per column and row
  // (1 300 in a batch of 650 rows of two columns), where this takes a fifth of the time of knex's two passes.
  let out = '';
  let from = 0;
  let n = 0;
  for (let at = sql.indexOf('?'); at !== -1; at = sql.indexOf('?', from)) {
    out += `${sql.slice(from, at)}$${++n}`;
    from = at + 1;
  }
  return from === 0 ? sql : out + sql.slice(from);
}

export async function runQuery(db: Database, sql: string, values: readonly unknown[]): Promise<QueryResult> {
  const client = db.knex.client as unknown as PoolClient;
  const connection = await client.acquireConnection();
  try {
    if (db.dialect === 'pg') {
      return await new Promise((resolve, reject) =>
        (connection as PgConnection).query(sql, [...values], (err, result) =>
          err ? reject(err) : resolve({ rows: result.rows, fields: result.fields }),
        ),
      );
    }
    if (db.dialect === 'mysql2') {
      return await new Promise((resolve, reject) =>
        (connection as MysqlConnection).query(sql, [...values], (err, rows, fields) =>
          err ? reject(err) : resolve({ rows, fields: fields ?? [] }),
        ),
      );
    }
    return { rows: (connection as SqliteConnection).prepare(sql).all(...values), fields: [] };
  } finally {
    await client.releaseConnection(connection);
  }
}

/** Rows of a SELECT run through knex, whatever shape the driver returns them in. */
export async function selectRows(
  k: Knex | Knex.Transaction,
  sql: string,
  bindings: readonly unknown[],
): Promise<unknown[]> {
  const result = (await k.raw(sql, bindings as Knex.RawBinding[])) as unknown;
  if (Array.isArray(result)) return Array.isArray(result[0]) ? result[0] : result; // mysql2: [rows, fields]; SQLite: rows
  return (result as { rows: unknown[] }).rows; // pg
}
