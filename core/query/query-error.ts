// A query that cannot run because of what it says (syntax, an unknown topic or column, a bad cast): a config
// error, so `sluice query` exits 2, with the position in the statement that DuckDB or the planner points at.
import { ConfigError } from '../errors.js';

export interface QueryPosition {
  /** Character offset in the statement, from 0. */
  offset: number;
  line: number;
  column: number;
}

export function positionIn(sql: string, offset: number): QueryPosition {
  const before = sql.slice(0, offset);
  const line = before.split('\n').length;
  return { offset, line, column: offset - before.lastIndexOf('\n') };
}

/** The statement with a caret under `position`, as a terminal shows it. */
function pointAt(sql: string, position: QueryPosition): string {
  const text = sql.split('\n')[position.line - 1] ?? '';
  return `  ${text}\n  ${' '.repeat(Math.max(0, position.column - 1))}^`;
}

export function queryError(sql: string, message: string, offset?: number, hint?: string): ConfigError {
  const position = offset === undefined ? undefined : positionIn(sql, offset);
  const where = position ? ` at line ${position.line}, column ${position.column}` : '';
  const lines = [`query${where}: ${message}`];
  if (position) lines.push(pointAt(sql, position));
  if (hint) lines.push(hint);
  return new ConfigError(lines.join('\n'), { code: 'E_QUERY', details: position ? { position } : undefined });
}

/**
 * DuckDB's own errors read `Binder Error: … \n\nLINE 1: <text>\n  ^`: keep its first sentence and turn the
 * caret it draws into a position.
 */
export function fromDuckDBError(sql: string, err: unknown): ConfigError {
  const text = err instanceof Error ? err.message : String(err);
  const [head] = text.split('\n\nLINE ');
  const offset = /^LINE (\d+): (.*)\n( *)\^/m.exec(`LINE ${text.split('\n\nLINE ')[1] ?? ''}`);
  let at: number | undefined;
  if (offset) {
    // DuckDB shows a window of the line; find that window in the statement to place the caret.
    const shown = offset[2].replace(/^\.\.\./, '').replace(/\.\.\.$/, '');
    const lineStart =
      sql
        .split('\n')
        .slice(0, Number(offset[1]) - 1)
        .join('\n').length + (offset[1] === '1' ? 0 : 1);
    const windowAt = sql.indexOf(shown, lineStart);
    const caret = offset[3].length - `LINE ${offset[1]}: `.length - (offset[2].startsWith('...') ? 3 : 0);
    if (windowAt >= 0 && caret >= 0) at = windowAt + caret;
  }
  return queryError(sql, head.trim(), at);
}
