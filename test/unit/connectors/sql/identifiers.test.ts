import { describe, expect, it } from 'vitest';
import {
  identifierProblem,
  parseQualifiedName,
  quoteIdentifier,
  quoteQualified,
  tableNameSchema,
} from '../../../../connectors/sql/identifiers.js';

describe('sql identifiers', () => {
  it('accepts ordinary names in any script, with digits, _ and $', () => {
    for (const name of ['orders', 'Order_Items', '_x', 't2', 'prix_€'.replace('€', 'e'), 'größe', '名前', 'a$b']) {
      expect(identifierProblem(name)).toBeUndefined();
    }
  });

  it('rejects quotes, spaces, dots, semicolons, dashes, control characters and over-long names', () => {
    for (const name of [
      '',
      'a b',
      'a"b',
      'a`b',
      "a'b",
      'a;b',
      'a-b',
      'a.b',
      'a\u0000b',
      '1abc',
      '$a',
      'a\nb',
      'x'.repeat(64),
    ]) {
      expect(identifierProblem(name), name).toBeDefined();
    }
    // 63 bytes is the PostgreSQL limit, counted in bytes.
    expect(identifierProblem('é'.repeat(32))).toMatch(/63 bytes/);
  });

  it('quotes with the dialect quote and refuses to quote an invalid name', () => {
    expect(quoteIdentifier('pg', 'order')).toBe('"order"');
    expect(quoteIdentifier('mysql2', 'order')).toBe('`order`');
    expect(quoteQualified('better-sqlite3', parseQualifiedName('main.t'))).toBe('"main"."t"');
    expect(() => quoteIdentifier('pg', 'a"; DROP TABLE x; --')).toThrow(/refusing/);
  });

  it('validates table names in config, naming the bad part', () => {
    expect(tableNameSchema('t').safeParse('public.orders').success).toBe(true);
    const bad = tableNameSchema('t').safeParse('a.b.c');
    expect(bad.success).toBe(false);
    const part = tableNameSchema('t').safeParse('public.or ders');
    expect(part.error?.issues[0].message).toContain('"or ders"');
  });
});
