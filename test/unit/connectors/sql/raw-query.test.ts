import { describe, expect, it } from 'vitest';
import { nativePlaceholders } from '../../../../connectors/sql/raw-query.js';

describe('sql driver placeholders', () => {
  it('numbers every ? for PostgreSQL in order, and leaves the other dialects their own ?', () => {
    const sql = 'WITH g AS (UPDATE "o" SET "v" = ? WHERE "k" = ?) INSERT INTO "t" ("a", "b") VALUES (?, ?), (?, ?)';
    expect(nativePlaceholders('pg', sql)).toBe(
      'WITH g AS (UPDATE "o" SET "v" = $1 WHERE "k" = $2) INSERT INTO "t" ("a", "b") VALUES ($3, $4), ($5, $6)',
    );
    expect(nativePlaceholders('pg', 'SELECT 1')).toBe('SELECT 1');
    expect(nativePlaceholders('pg', '?')).toBe('$1');
    expect(nativePlaceholders('mysql2', sql)).toBe(sql);
    expect(nativePlaceholders('better-sqlite3', sql)).toBe(sql);
  });
});
