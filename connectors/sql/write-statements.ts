// How the sink sends a batch's statements inside its transaction. On PostgreSQL the bookkeeping writes (the
// offsets tables) ride along with the batch's first row statement as data-modifying CTEs, so rows and offsets
// travel in one round trip. They may: they touch other tables than the rows, and no two of them touch the same
// row (see OffsetsTable.recordings). Row statements themselves stay separate, in order, since a later one may
// write or delete a row an earlier one wrote, which one statement cannot do. Other databases get every
// statement on its own.
import type { Knex } from 'knex';
import type { Dialect } from './identifiers.js';

/** SQL with `?` placeholders, and its values. */
export interface Statement {
  sql: string;
  bindings: unknown[];
}

/** The statements to send: the row statements with the bookkeeping folded into the first on PostgreSQL. */
export function withBookkeeping(dialect: Dialect, rows: Statement[], bookkeeping: Statement[]): Statement[] {
  if (bookkeeping.length === 0) return rows;
  if (dialect !== 'pg') return [...rows, ...bookkeeping];
  const [main, ...rest] = rows.length > 0 ? rows : bookkeeping.slice(-1);
  const side = rows.length > 0 ? bookkeeping : bookkeeping.slice(0, -1);
  if (side.length === 0) return [main, ...rest];
  const ctes = side.map((s, i) => `sluice_w${i} AS (${s.sql})`).join(', ');
  const combined = {
    sql: `WITH ${ctes} ${main.sql}`,
    bindings: [...side.flatMap((s) => s.bindings), ...main.bindings],
  };
  return [combined, ...rest];
}

export async function runStatements(k: Knex | Knex.Transaction, statements: readonly Statement[]): Promise<void> {
  for (const s of statements) await k.raw(s.sql, s.bindings as Knex.RawBinding[]);
}
