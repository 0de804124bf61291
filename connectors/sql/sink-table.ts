// The sink's view of its destination table: loads it, creates or widens it when asked (autoCreate,
// autoEvolve), checks the upsert key once, and fits a batch's rows to the columns it has. What it learned is
// kept here and nowhere else; `forget()` makes it look again.

import { FatalError } from '../../core/errors.js';
import type { SluiceEvent } from '../../core/event.js';
import type { Logger } from '../../core/plugin.js';
import type { Database } from './connection.js';
import type { Refusal } from './event-rows.js';
import type { QualifiedName } from './identifiers.js';
import type { RowOp } from './row-writer.js';
import { addColumns, createTable, hasUniqueKey, loadTable, type NewColumn, type TableInfo } from './table-schema.js';
import { type InferredType, inferType, mergeTypes } from './type-mapping.js';

export interface SinkTableOptions {
  db: Database;
  table: QualifiedName;
  /** The table as configured, for log lines. */
  tableName: string;
  /** Prefix of error messages: who writes to what. */
  where: string;
  logger: Logger;
  mode: 'insert' | 'upsert';
  keyColumns: readonly string[];
  autoCreate: boolean;
  autoEvolve: boolean;
  onUnknownField: 'reject' | 'ignore';
}

/** A batch's operations fitted to the table's columns, and the events refused for fields it has no column for. */
export interface FittedOps {
  ops: RowOp[];
  refused: Refusal[];
  info: TableInfo;
}

function writtenColumns(ops: readonly RowOp[]): Set<string> {
  const names = new Set<string>();
  for (const op of ops) if (op.kind === 'write') for (const name of Object.keys(op.row)) names.add(name);
  return names;
}

export class SinkTable {
  private info: TableInfo | undefined;
  private isKeyChecked = false;

  constructor(private readonly options: SinkTableOptions) {}

  /** Makes the table look again on the next batch (it changed under the sink). */
  forget(): void {
    this.info = undefined;
  }

  /** Loads, creates or widens the table for these operations and fits them to its columns. */
  async prepare(ops: readonly RowOp[], batch: readonly SluiceEvent[]): Promise<FittedOps> {
    let info = await this.ensure(ops);
    const written = writtenColumns(ops);
    // A column added since the table was last looked at (by a person, or another worker) is found here.
    if ([...written].some((name) => !info.columns.has(name))) {
      this.forget();
      info = await this.ensure(ops);
    }
    // Only a batch with a field that has no column needs fitting row by row.
    const isFitting = [...written].every((name) => info.columns.has(name));
    return { ...(isFitting ? { ops: [...ops], refused: [] } : this.fit(ops, info, batch)), info };
  }

  private async ensure(ops: readonly RowOp[]): Promise<TableInfo> {
    const { db, table, tableName, where, logger, keyColumns } = this.options;
    let info = this.info ?? (await loadTable(db, table));
    if (info.columns.size === 0) {
      if (!this.options.autoCreate) {
        throw new FatalError(`${where}: the table does not exist; create it, or set autoCreate: true`, {
          code: 'E_SQL_MISSING_TABLE',
        });
      }
      const names = new Set([...keyColumns, ...writtenColumns(ops)]);
      if (names.size === 0) return info;
      await createTable(db, table, inferColumns(ops, names), keyColumns);
      logger.info({ table: tableName }, 'created the table from the first batch (autoCreate)');
      info = await loadTable(db, table);
    }
    if (this.options.autoEvolve) {
      const missing = new Set([...writtenColumns(ops)].filter((name) => !info.columns.has(name)));
      if (missing.size > 0) {
        await addColumns(db, table, inferColumns(ops, missing));
        logger.info({ table: tableName, columns: [...missing] }, 'added columns for new fields (autoEvolve)');
        info = await loadTable(db, table);
      }
    }
    if (this.options.mode === 'upsert' && !this.isKeyChecked) {
      if (!(await hasUniqueKey(db, table, keyColumns))) {
        throw new FatalError(
          `${where}: upsert needs a primary key or unique index on exactly (${keyColumns.join(', ')}), and the ` +
            'table has none; create one',
          { code: 'E_SQL_NO_UNIQUE_KEY' },
        );
      }
      this.isKeyChecked = true;
    }
    this.info = info;
    return info;
  }

  /** Drops or refuses fields that have no column (autoEvolve off). */
  private fit(ops: readonly RowOp[], info: TableInfo, batch: readonly SluiceEvent[]): Omit<FittedOps, 'info'> {
    const kept: RowOp[] = [];
    const refused: Refusal[] = [];
    for (const op of ops) {
      const unknown = op.kind === 'write' ? Object.keys(op.row).filter((name) => !info.columns.has(name)) : [];
      if (op.kind === 'delete' || unknown.length === 0) {
        kept.push(op);
      } else if (this.options.onUnknownField === 'reject') {
        refused.push({
          index: op.index,
          message:
            `event ${batch[op.index].id ?? `#${op.index}`} has field(s) ${unknown.join(', ')} with no column in the ` +
            'table; add the columns, set autoEvolve: true, or onUnknownField: ignore',
          code: 'E_SQL_UNKNOWN_COLUMN',
        });
      } else {
        const row = { ...op.row };
        for (const name of unknown) delete row[name];
        if (Object.keys(row).length > 0) kept.push({ ...op, row });
      }
    }
    return { ops: kept, refused };
  }
}

function inferColumns(ops: readonly RowOp[], names: Iterable<string>): NewColumn[] {
  const types = new Map<string, InferredType | undefined>();
  for (const name of names) types.set(name, undefined);
  for (const op of ops) {
    if (op.kind !== 'write') continue;
    for (const [name, v] of Object.entries(op.row))
      if (types.has(name)) types.set(name, mergeTypes(types.get(name), inferType(v)));
  }
  return [...types].map(([name, type]) => ({ name, type }));
}
