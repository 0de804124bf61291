// The SELECT each table mode runs, described as data (so the cursor logic can be tested against an in-memory
// table) and rendered to SQL for each dialect. Names are quoted, every value is a bound parameter.
import { type Dialect, type QualifiedName, quoteIdentifier, quoteQualified } from './identifiers.js';

export type CursorValue = string | number;

export interface RowQuery {
  /** Rows strictly after this position, in the query's order. */
  after?: { timestamp?: CursorValue; incrementing?: CursorValue };
  /** Rows whose timestamp equals this value (a whole group of equal timestamps). */
  timestampEquals?: CursorValue;
  /** Only rows whose timestamp is older than the database's clock minus this many ms. */
  visibleBeforeDelayMs?: number;
  orderBy: Array<'timestamp' | 'incrementing'>;
  limit?: number;
}

export interface TableShape {
  table: QualifiedName;
  /** Columns to select; undefined selects all. */
  columns?: readonly string[];
  timestampColumn?: string;
  incrementingColumn?: string;
}

export interface Statement {
  sql: string;
  bindings: unknown[];
}

/** An integer cursor as a BigInt, so that MySQL compares it exactly (a string would be compared as a double). */
export function bindCursor(value: CursorValue): unknown {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  return value;
}

function visibleCondition(dialect: Dialect, column: string, delayMs: number, bindings: unknown[]): string {
  if (dialect === 'pg') {
    // statement_timestamp() is stable within the statement, so it can bound an index scan.
    bindings.push(delayMs);
    return `${column} < statement_timestamp() - CAST(? AS double precision) * INTERVAL '1 millisecond'`;
  }
  if (dialect === 'mysql2') {
    bindings.push(Math.round(delayMs * 1000));
    return `${column} < NOW(6) - INTERVAL ? MICROSECOND`;
  }
  // SQLite keeps times as ISO-8601 text or epoch milliseconds; the database clock is this host's clock.
  const bound = Date.now() - delayMs;
  bindings.push(bound, new Date(bound).toISOString());
  return `(CASE WHEN typeof(${column}) IN ('integer', 'real') THEN ${column} < ? ELSE julianday(${column}) < julianday(?) END)`;
}

export function renderRowQuery(dialect: Dialect, shape: TableShape, query: RowQuery): Statement {
  const q = (name: string) => quoteIdentifier(dialect, name);
  const bindings: unknown[] = [];
  const where: string[] = [];
  const ts = shape.timestampColumn === undefined ? undefined : q(shape.timestampColumn);
  const inc = shape.incrementingColumn === undefined ? undefined : q(shape.incrementingColumn);
  const after = query.after;
  if (after?.timestamp !== undefined && after.incrementing !== undefined && ts && inc) {
    // (ts, inc) > (a, b), written so that the range on ts can use an index on (ts, inc).
    where.push(`${ts} >= ? AND (${ts} > ? OR ${inc} > ?)`);
    bindings.push(after.timestamp, after.timestamp, bindCursor(after.incrementing));
  } else if (after?.timestamp !== undefined && ts) {
    where.push(`${ts} > ?`);
    bindings.push(after.timestamp);
  } else if (after?.incrementing !== undefined && inc) {
    where.push(`${inc} > ?`);
    bindings.push(bindCursor(after.incrementing));
  }
  if (query.timestampEquals !== undefined && ts) {
    where.push(`${ts} = ?`);
    bindings.push(query.timestampEquals);
  }
  if (query.visibleBeforeDelayMs !== undefined && ts) {
    where.push(visibleCondition(dialect, ts, query.visibleBeforeDelayMs, bindings));
  }
  const columns = shape.columns === undefined ? '*' : shape.columns.map(q).join(', ');
  let sql = `SELECT ${columns} FROM ${quoteQualified(dialect, shape.table)}`;
  if (where.length > 0) sql += ` WHERE ${where.join(' AND ')}`;
  const order = query.orderBy.map((o) => (o === 'timestamp' ? ts : inc)).filter((c) => c !== undefined);
  if (order.length > 0) sql += ` ORDER BY ${order.join(', ')}`;
  if (query.limit !== undefined) {
    sql += ' LIMIT ?';
    bindings.push(query.limit);
  }
  return { sql, bindings };
}

/** The database clock in epoch ms, used to time how long a gap in an incrementing column has been open. */
export function clockQuery(dialect: Dialect): string | undefined {
  if (dialect === 'pg')
    return 'SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS double precision) AS now_ms';
  if (dialect === 'mysql2') return 'SELECT CAST(UNIX_TIMESTAMP(NOW(6)) * 1000 AS DOUBLE) AS now_ms';
  return undefined;
}
