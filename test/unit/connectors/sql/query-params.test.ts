import { describe, expect, it } from 'vitest';
import { parseQueryParams } from '../../../../connectors/sql/query-params.js';

describe('sql query mode parameters', () => {
  it('replaces :cursor and :limit with driver placeholders, in order', () => {
    expect(parseQueryParams('pg', 'SELECT * FROM t WHERE id > :cursor ORDER BY id LIMIT :limit')).toEqual({
      sql: 'SELECT * FROM t WHERE id > $1 ORDER BY id LIMIT $2',
      params: ['cursor', 'limit'],
    });
    expect(parseQueryParams('mysql2', 'SELECT * FROM t WHERE a > :cursor OR b > :cursor')).toEqual({
      sql: 'SELECT * FROM t WHERE a > ? OR b > ?',
      params: ['cursor', 'cursor'],
    });
  });

  it('leaves look-alikes in strings, quoted names, comments, dollar quotes and casts alone', () => {
    const sql =
      'SELECT \':cursor\', ":limit", x::cursor, $$ :cursor $$, $tag$ :limit $tag$ -- :cursor\n' +
      "FROM t /* :limit */ WHERE id > :cursor AND doc ? 'k' AND n = :cursorx";
    const parsed = parseQueryParams('pg', sql);
    expect(parsed.params).toEqual(['cursor']);
    expect(parsed.sql).toBe(sql.replace('id > :cursor', 'id > $1'));
  });

  it('knows MySQL backslash escapes and that PostgreSQL strings have none', () => {
    expect(parseQueryParams('mysql2', "SELECT 'it\\' :cursor' , :cursor").params).toEqual(['cursor']);
    expect(parseQueryParams('pg', "SELECT 'a\\' , :cursor").params).toEqual(['cursor']);
  });
});
