// Query mode binds `:cursor` and `:limit` in the user's SELECT. The statement is scanned like a SQL lexer
// (quoted strings and names, PostgreSQL dollar quotes, comments are skipped) so a `:cursor` inside a string
// stays text, `::type` casts are left alone, and every value goes in as a bound parameter. The result uses
// the driver's own placeholders (`$1` for pg, `?` otherwise) and runs on the driver directly, so nothing else
// in the statement (a jsonb `?` operator, a `?` in a string) is ever taken for a placeholder.
import type { Dialect } from './identifiers.js';

export type ParamName = 'cursor' | 'limit';

export interface ParsedQuery {
  /** The statement with each parameter replaced by the driver's placeholder. */
  sql: string;
  /** Parameter names in placeholder order. */
  params: ParamName[];
}

const NAMES = new Set<string>(['cursor', 'limit']);

function skipQuoted(sql: string, start: number, quote: string, hasBackslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else if (sql[i] === '\\' && hasBackslashEscapes) i += 2;
    else i++;
  }
  return sql.length;
}

function skipDollarQuoted(sql: string, start: number): number {
  const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(start));
  if (!tag) return start + 1;
  const end = sql.indexOf(tag[0], start + tag[0].length);
  return end === -1 ? sql.length : end + tag[0].length;
}

export function parseQueryParams(dialect: Dialect, sql: string): ParsedQuery {
  let out = '';
  const params: ParamName[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    let end = i + 1;
    if (c === "'" || c === '"' || c === '`') end = skipQuoted(sql, i, c, dialect === 'mysql2' && c !== '`');
    else if (c === '$' && dialect === 'pg' && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? '')) end = skipDollarQuoted(sql, i);
    else if (c === '-' && sql[i + 1] === '-') end = sql.indexOf('\n', i) === -1 ? sql.length : sql.indexOf('\n', i);
    else if (c === '/' && sql[i + 1] === '*')
      end = sql.indexOf('*/', i + 2) === -1 ? sql.length : sql.indexOf('*/', i + 2) + 2;
    else if (c === ':' && sql[i + 1] !== ':' && sql[i - 1] !== ':') {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))?.[0];
      if (name !== undefined && NAMES.has(name)) {
        params.push(name as ParamName);
        out += dialect === 'pg' ? `$${params.length}` : '?';
        i += 1 + name.length;
        continue;
      }
    }
    out += sql.slice(i, end);
    i = end;
  }
  return { sql: out, params };
}
