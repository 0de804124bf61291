// Writes a batch's row operations inside the caller's transaction, as few statements as possible: consecutive
// operations of the same shape (same columns, or deletes) share one multi-row statement, so the order of
// writes and deletes to one key is kept. In careful mode each group runs under a savepoint and a group that
// hits a row error (constraint, bad value) is split in halves until the bad rows stand alone: good rows are
// written and each bad row is returned with the database's message.
import type { Knex } from 'knex';
import { isRowError } from './classify-error.js';
import type { Database } from './connection.js';
import { type QualifiedName, quoteIdentifier, quoteQualified } from './identifiers.js';
import { type ColumnKind, toBindValue } from './type-mapping.js';
import { runStatements, type Statement, withBookkeeping } from './write-statements.js';

export type RowOp =
  | { index: number; kind: 'write'; row: Record<string, unknown> }
  | { index: number; kind: 'delete'; key: readonly unknown[] };

export interface RowFailure {
  index: number;
  error: unknown;
}

export interface WriterOptions {
  table: QualifiedName;
  mode: 'insert' | 'upsert';
  keyColumns: readonly string[];
  /** upsert: the column holding the version (event position) that wrote the row; an older one changes nothing. */
  versionColumn?: string;
}

// Bound parameters per statement: PostgreSQL's protocol allows 65535, SQLite's default limit is 32766. On
// PostgreSQL the offsets writes ride in the first row statement (write-statements.ts), with their own parameters
// (a few, plus one per range a batch's range swallows): the rows leave them room.
const MAX_PARAMS: Record<Database['dialect'], number> = { pg: 64_535, mysql2: 65_535, 'better-sqlite3': 32_766 };
// mysql2 sends values inline in the statement text, which must stay under max_allowed_packet (16 MB default).
const MAX_STATEMENT_BYTES = 4 * 1024 * 1024;

function approximateBytes(value: unknown): number {
  if (typeof value === 'string') return value.length * 2 + 4;
  if (value instanceof Uint8Array) return value.byteLength * 2 + 4;
  return 16;
}

export class RowWriter {
  private readonly table: string;

  constructor(
    private readonly db: Database,
    private readonly options: WriterOptions,
  ) {
    this.table = quoteQualified(db.dialect, options.table);
  }

  private q(name: string): string {
    return quoteIdentifier(this.db.dialect, name);
  }

  /** Runs the operations, with the statements that record the batch's offsets sent alongside. */
  async write(
    trx: Knex.Transaction,
    ops: readonly RowOp[],
    kinds: ReadonlyMap<string, ColumnKind>,
    bookkeeping: Statement[],
  ): Promise<void> {
    await runStatements(trx, withBookkeeping(this.db.dialect, this.statementsOf(ops, kinds), bookkeeping));
  }

  /** The statements that run the operations, in order. */
  statementsOf(ops: readonly RowOp[], kinds: ReadonlyMap<string, ColumnKind>): Statement[] {
    return this.groups(ops).flatMap((group) => this.statements(group, kinds));
  }

  /** Runs the operations group by group under savepoints, and returns the rows that failed instead of throwing. */
  async writeCarefully(
    trx: Knex.Transaction,
    ops: readonly RowOp[],
    kinds: ReadonlyMap<string, ColumnKind>,
  ): Promise<RowFailure[]> {
    const failures: RowFailure[] = [];
    for (const group of this.groups(ops)) await this.writeSplitting(trx, group, kinds, failures);
    return failures;
  }

  private async writeSplitting(
    trx: Knex.Transaction,
    ops: readonly RowOp[],
    kinds: ReadonlyMap<string, ColumnKind>,
    failures: RowFailure[],
  ): Promise<void> {
    try {
      await trx.transaction((savepoint) => runStatements(savepoint, this.statements(ops, kinds)));
    } catch (err) {
      if (!isRowError(err)) throw err;
      if (ops.length === 1) {
        failures.push({ index: ops[0].index, error: err });
        return;
      }
      const middle = ops.length >> 1;
      await this.writeSplitting(trx, ops.slice(0, middle), kinds, failures);
      await this.writeSplitting(trx, ops.slice(middle), kinds, failures);
    }
  }

  /** Consecutive operations of one shape; an upsert group keeps only the last write per key. */
  groups(ops: readonly RowOp[]): RowOp[][] {
    const groups: RowOp[][] = [];
    let shape = '';
    // Rows of one batch nearly always list their columns in the same order: the sorted shape is only worked out
    // when the column names differ from the row before's.
    let names: readonly string[] = [];
    for (const op of ops) {
      let opShape = '\u0000delete';
      if (op.kind === 'write') {
        const keys = Object.keys(op.row);
        opShape = shape !== '\u0000delete' && isSameList(keys, names) ? shape : [...keys].sort().join('\u0000');
        names = keys;
      }
      if (groups.length === 0 || opShape !== shape) groups.push([]);
      groups[groups.length - 1].push(op);
      shape = opShape;
    }
    if (this.options.mode !== 'upsert') return groups;
    return groups.map((group) => {
      if (group[0].kind === 'delete') return group;
      const last = new Map<string, RowOp>();
      for (const op of group) {
        const row = (op as Extract<RowOp, { kind: 'write' }>).row;
        const key = JSON.stringify(this.options.keyColumns.map((k) => row[k]));
        last.delete(key);
        last.set(key, op);
      }
      return [...last.values()];
    });
  }

  private statements(ops: readonly RowOp[], kinds: ReadonlyMap<string, ColumnKind>): Statement[] {
    return ops[0].kind === 'delete' ? this.deletes(ops, kinds) : this.inserts(ops, kinds);
  }

  /**
   * The operations in runs that fit one statement, each run as its row count and its bindings, row after row:
   * `addRow` appends one operation's values to the bindings and returns their approximate size in bytes.
   */
  private *chunks(ops: readonly RowOp[], paramsPerOp: number, addRow: (op: RowOp, into: unknown[]) => number) {
    const maxRows = Math.max(1, Math.floor(MAX_PARAMS[this.db.dialect] / Math.max(1, paramsPerOp)));
    let bindings: unknown[] = [];
    let rows = 0;
    let bytes = 0;
    for (const op of ops) {
      const mark = bindings.length;
      const size = addRow(op, bindings);
      if (rows > 0 && (rows >= maxRows || bytes + size > MAX_STATEMENT_BYTES)) {
        const next = bindings.slice(mark);
        bindings.length = mark;
        yield { rows, bindings };
        bindings = next;
        rows = 0;
        bytes = 0;
      }
      rows++;
      bytes += size;
    }
    if (rows > 0) yield { rows, bindings };
  }

  private inserts(ops: readonly RowOp[], kinds: ReadonlyMap<string, ColumnKind>): Statement[] {
    const first = ops[0] as Extract<RowOp, { kind: 'write' }>;
    const columns = Object.keys(first.row).sort();
    const dialect = this.db.dialect;
    const columnKinds = columns.map((c) => kinds.get(c) ?? 'other');
    const addRow = (op: RowOp, into: unknown[]) => {
      const row = (op as Extract<RowOp, { kind: 'write' }>).row;
      let bytes = 0;
      for (let i = 0; i < columns.length; i++) {
        const value = toBindValue(dialect, columnKinds[i], row[columns[i]]);
        into.push(value);
        bytes += approximateBytes(value);
      }
      return bytes;
    };
    const head = `INSERT INTO ${this.table} (${columns.map((c) => this.q(c)).join(', ')}) VALUES `;
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const tail = this.options.mode === 'upsert' ? this.upsertClause(columns) : '';
    const statements: Statement[] = [];
    for (const { rows, bindings } of this.chunks(ops, columns.length, addRow)) {
      statements.push({ sql: head + Array(rows).fill(tuple).join(', ') + tail, bindings });
    }
    return statements;
  }

  private upsertClause(columns: readonly string[]): string {
    const keys = this.options.keyColumns;
    const others = columns.filter((c) => !keys.includes(c));
    const version = this.options.versionColumn;
    const isGuarded = version !== undefined && others.includes(version);
    if (this.db.dialect === 'mysql2') {
      const set = others.length > 0 ? others : [keys[0]];
      if (!isGuarded) {
        return ` ON DUPLICATE KEY UPDATE ${set.map((c) => `${this.q(c)} = VALUES(${this.q(c)})`).join(', ')}`;
      }
      // MySQL assigns left to right, each seeing the ones before: the version column goes last.
      const v = this.q(version);
      const isNewer = `(VALUES(${v}) IS NULL OR ${v} IS NULL OR VALUES(${v}) > ${v})`;
      const ordered = [...set.filter((c) => c !== version), version];
      return ` ON DUPLICATE KEY UPDATE ${ordered.map((c) => `${this.q(c)} = IF(${isNewer}, VALUES(${this.q(c)}), ${this.q(c)})`).join(', ')}`;
    }
    const target = `(${keys.map((c) => this.q(c)).join(', ')})`;
    if (others.length === 0) return ` ON CONFLICT ${target} DO NOTHING`;
    const update = ` ON CONFLICT ${target} DO UPDATE SET ${others.map((c) => `${this.q(c)} = excluded.${this.q(c)}`).join(', ')}`;
    if (!isGuarded) return update;
    const stored = `${this.q(this.options.table.name)}.${this.q(version)}`;
    return `${update} WHERE excluded.${this.q(version)} IS NULL OR ${stored} IS NULL OR excluded.${this.q(version)} > ${stored}`;
  }

  private deletes(ops: readonly RowOp[], kinds: ReadonlyMap<string, ColumnKind>): Statement[] {
    const keys = this.options.keyColumns;
    const dialect = this.db.dialect;
    const addRow = (op: RowOp, into: unknown[]) => {
      let bytes = 0;
      for (const [i, v] of (op as Extract<RowOp, { kind: 'delete' }>).key.entries()) {
        const value = toBindValue(dialect, kinds.get(keys[i]) ?? 'other', v);
        into.push(value);
        bytes += approximateBytes(value);
      }
      return bytes;
    };
    const statements: Statement[] = [];
    for (const { rows, bindings } of this.chunks(ops, keys.length, addRow)) {
      const match = keys.length === 1 ? '?' : `(${keys.map((k) => `${this.q(k)} = ?`).join(' AND ')})`;
      const condition =
        keys.length === 1
          ? `${this.q(keys[0])} IN (${Array(rows).fill(match).join(', ')})`
          : Array(rows).fill(match).join(' OR ');
      statements.push({ sql: `DELETE FROM ${this.table} WHERE ${condition}`, bindings });
    }
    return statements;
  }
}

function isSameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
