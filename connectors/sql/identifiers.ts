// Table and column names: validated first (a strict whitelist), then always quoted. Values never reach SQL text:
// they are bound parameters. Both together are why no name or value in config or in an event can inject SQL.
import { z } from '../../core/plugin.js';

export type Dialect = 'pg' | 'mysql2' | 'better-sqlite3';

// Letters (any script), digits, `_` and `$`; not starting with a digit or `$`. No quotes, spaces, dots,
// semicolons, dashes or control characters, so quoting can never be broken out of.
const PART = /^[\p{L}_][\p{L}\p{N}_$]*$/u;
// PostgreSQL truncates names to 63 bytes (NAMEDATALEN - 1), MySQL allows 64 characters: take the smaller.
const MAX_BYTES = 63;

/** Why `name` is not a valid single identifier, or undefined when it is. */
export function identifierProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (Buffer.byteLength(name, 'utf8') > MAX_BYTES) return `is longer than ${MAX_BYTES} bytes`;
  if (!PART.test(name)) {
    return 'may hold only letters, digits, "_" and "$", and must start with a letter or "_"';
  }
  return undefined;
}

export function isIdentifier(name: string): boolean {
  return identifierProblem(name) === undefined;
}

/** A table name, optionally qualified by its schema (PostgreSQL), database (MySQL) or attached schema (SQLite). */
export interface QualifiedName {
  schema?: string;
  name: string;
}

export function parseQualifiedName(text: string): QualifiedName {
  const parts = text.split('.');
  if (parts.length === 1) return { name: parts[0] };
  if (parts.length === 2) return { schema: parts[0], name: parts[1] };
  throw new Error(`"${text}" has more than one "." (expected table or schema.table)`);
}

function qualifiedProblem(text: string): string | undefined {
  const parts = text.split('.');
  if (parts.length > 2) return 'has more than one "." (expected table or schema.table)';
  for (const part of parts) {
    const problem = identifierProblem(part);
    if (problem) return parts.length === 1 ? problem : `part "${part}" ${problem}`;
  }
  return undefined;
}

export function quoteIdentifier(dialect: Dialect, name: string): string {
  const problem = identifierProblem(name);
  // Defence in depth: every caller validates first, so reaching this is a bug, not bad input.
  if (problem) throw new Error(`refusing to quote identifier ${JSON.stringify(name)}: it ${problem}`);
  return dialect === 'mysql2' ? `\`${name.replaceAll('`', '``')}\`` : `"${name.replaceAll('"', '""')}"`;
}

export function quoteQualified(dialect: Dialect, table: QualifiedName): string {
  const name = quoteIdentifier(dialect, table.name);
  return table.schema === undefined ? name : `${quoteIdentifier(dialect, table.schema)}.${name}`;
}

/** Zod schema for a column name in config. */
export function columnNameSchema(description: string) {
  return z
    .string()
    .superRefine((value, ctx) => {
      const problem = identifierProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `column name ${JSON.stringify(value)} ${problem}` });
    })
    .describe(description);
}

/** Zod schema for a table name in config (`table` or `schema.table`). */
export function tableNameSchema(description: string) {
  return z
    .string()
    .superRefine((value, ctx) => {
      const problem = qualifiedProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `table name ${JSON.stringify(value)} ${problem}` });
    })
    .describe(description);
}
