import { describe, expect, it } from 'vitest';
import { withBookkeeping } from '../../../../connectors/sql/write-statements.js';

const rows = [
  { sql: 'INSERT INTO "t" ("a") VALUES (?)', bindings: [1] },
  { sql: 'DELETE FROM "t" WHERE "a" IN (?)', bindings: [1] },
];
const bookkeeping = [
  { sql: 'INSERT INTO "r" ("p") VALUES (?)', bindings: ['r'] },
  { sql: 'UPDATE "o" SET "h" = ?', bindings: ['o'] },
];

describe('sql sink write statements', () => {
  it('sends the offsets writes with the first row statement on PostgreSQL, values in placeholder order', () => {
    expect(withBookkeeping('pg', rows, bookkeeping)).toEqual([
      {
        sql: 'WITH sluice_w0 AS (INSERT INTO "r" ("p") VALUES (?)), sluice_w1 AS (UPDATE "o" SET "h" = ?) INSERT INTO "t" ("a") VALUES (?)',
        bindings: ['r', 'o', 1],
      },
      rows[1],
    ]);
  });

  it('sends the offsets writes as one statement on PostgreSQL when every row was written before', () => {
    expect(withBookkeeping('pg', [], bookkeeping)).toEqual([
      { sql: 'WITH sluice_w0 AS (INSERT INTO "r" ("p") VALUES (?)) UPDATE "o" SET "h" = ?', bindings: ['r', 'o'] },
    ]);
  });

  it('sends every statement on its own, rows first, on the other databases', () => {
    expect(withBookkeeping('mysql2', rows, bookkeeping)).toEqual([...rows, ...bookkeeping]);
    expect(withBookkeeping('better-sqlite3', [], bookkeeping)).toEqual(bookkeeping);
  });
});
