// How the sink sends a batch's statements inside its transaction. On PostgreSQL the bookkeeping writes (the
// offsets tables) ride along with the batch's first row statement as data-modifying CTEs, so rows and offsets
// travel in one round trip. They may: they touch other tables than the rows, and no two of them touch the same
// row (see OffsetsTable.recordings). Row statements themselves stay separate, in order, since a later one may
// write or delete a row an earlier one wrote, which one statement cannot do. Other databases get every
// statement on its own.
//
// Once this process knows a partition's ranges (known-offsets.ts), a PostgreSQL batch is one statement without a
// transaction around it: the guarded update of the partition's offsets row, the ranges and the rows as CTEs, and
// a final SELECT that fails the whole statement (nothing of it stays) when the guard found the row moved.
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

/** The column the guard of a one-statement write returns the offsets row's new version in. */
export const VERSION_COLUMN = 'sluice_version';

// What the statement fails with when the guard found the offsets row moved: a text that is no number. It holds no
// `?`, which would be taken for a placeholder.
const STALE = 'sluice: the offsets row moved since this process read it';

/**
 * PostgreSQL: `guard` (an UPDATE … RETURNING VERSION_COLUMN), the bookkeeping and at most one row statement as one
 * statement, which returns the guard's version as `version`, or fails whole when the guard updated nothing.
 */
export function oneStatement(guard: Statement, bookkeeping: Statement[], rows: Statement | undefined): Statement {
  const parts = [
    { name: 'sluice_g', statement: guard },
    ...bookkeeping.map((statement, i) => ({ name: `sluice_w${i}`, statement })),
    ...(rows ? [{ name: 'sluice_r', statement: rows }] : []),
  ];
  const ctes = parts.map((p) => `${p.name} AS (${p.statement.sql})`).join(', ');
  return {
    sql: `WITH ${ctes} SELECT CAST(COALESCE((SELECT ${VERSION_COLUMN} FROM sluice_g), '${STALE}') AS bigint) AS version`,
    bindings: parts.flatMap((p) => p.statement.bindings),
  };
}
