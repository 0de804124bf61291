import { describe, expect, it } from 'vitest';
import type { Database } from '../../../../connectors/sql/connection.js';
import { type RowOp, RowWriter } from '../../../../connectors/sql/row-writer.js';

const db = { dialect: 'pg' } as Database;
const w = (index: number, row: Record<string, unknown>): RowOp => ({ index, kind: 'write', row });
const d = (index: number, key: unknown[]): RowOp => ({ index, kind: 'delete', key });

describe('sql row writer grouping', () => {
  it('groups consecutive operations of one shape, keeping the order of writes and deletes', () => {
    const writer = new RowWriter(db, { table: { name: 't' }, mode: 'insert', keyColumns: ['id'] });
    const groups = writer.groups([
      w(0, { id: 1, a: 1 }),
      w(1, { a: 2, id: 2 }),
      d(2, [1]),
      w(3, { id: 1 }),
      w(4, { id: 3, a: 1 }),
    ]);
    expect(groups.map((g) => g.map((op) => op.index))).toEqual([[0, 1], [2], [3], [4]]);
  });

  it('keeps the last write per key within an upsert group (one statement cannot update a row twice)', () => {
    const writer = new RowWriter(db, { table: { name: 't' }, mode: 'upsert', keyColumns: ['id'] });
    const groups = writer.groups([w(0, { id: 1, a: 1 }), w(1, { id: 2, a: 1 }), w(2, { id: 1, a: 2 })]);
    expect(groups.map((g) => g.map((op) => op.index))).toEqual([[1, 2]]);
  });
});
