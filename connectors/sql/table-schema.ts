// What the sink knows about its destination table (columns and their kinds, unique keys) and the only DDL it
// ever runs: CREATE TABLE (autoCreate) and ADD COLUMN (autoEvolve). It never drops or changes a column.
import { isAlreadyExists } from './classify-error.js';
import type { Database } from './connection.js';
import { type QualifiedName, quoteIdentifier, quoteQualified } from './identifiers.js';
import { selectRows } from './raw-query.js';
import { type ColumnKind, columnKind, type InferredType, sqlType } from './type-mapping.js';

export interface TableInfo {
  /** Column name → kind; empty when the table does not exist. */
  columns: Map<string, ColumnKind>;
}

export async function loadTable(db: Database, table: QualifiedName): Promise<TableInfo> {
  const columns = new Map<string, ColumnKind>();
  const schema = table.schema ?? null;
  if (db.dialect === 'pg') {
    const rows = (await selectRows(
      db.knex,
      'SELECT column_name AS name, data_type AS type FROM information_schema.columns ' +
        'WHERE table_schema = COALESCE(?, current_schema()) AND table_name = ?',
      [schema, table.name],
    )) as Array<{ name: string; type: string }>;
    for (const r of rows) columns.set(r.name, columnKind('pg', r.type));
  } else if (db.dialect === 'mysql2') {
    const rows = (await selectRows(
      db.knex,
      'SELECT COLUMN_NAME AS name, DATA_TYPE AS type FROM information_schema.COLUMNS ' +
        'WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?',
      [schema, table.name],
    )) as Array<{ name: string; type: string }>;
    for (const r of rows) columns.set(r.name, columnKind('mysql2', r.type));
    if (rows.some((r) => r.type.toLowerCase() === 'longtext')) {
      for (const name of await mariadbJsonColumns(db, table)) columns.set(name, 'json');
    }
  } else {
    const rows = (await selectRows(db.knex, 'SELECT name, type FROM pragma_table_info(?, ?)', [
      table.name,
      table.schema ?? 'main',
    ])) as Array<{ name: string; type: string }>;
    for (const r of rows) columns.set(r.name, columnKind('better-sqlite3', r.type));
  }
  return { columns };
}

// MariaDB's JSON is LONGTEXT with a json_valid() check; the check is how a JSON column is recognised.
async function mariadbJsonColumns(db: Database, table: QualifiedName): Promise<string[]> {
  try {
    const rows = (await selectRows(
      db.knex,
      'SELECT CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS ' +
        'WHERE CONSTRAINT_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?',
      [table.schema ?? null, table.name],
    )) as Array<{ clause: string }>;
    return rows.flatMap((r) => [...r.clause.matchAll(/json_valid\(`([^`]+)`\)/gi)].map((m) => m[1]));
  } catch {
    return []; // MySQL's CHECK_CONSTRAINTS has no TABLE_NAME; MySQL has a real JSON type anyway.
  }
}

/** True when a primary key or unique index covers exactly these columns (what an upsert conflicts on). */
export async function hasUniqueKey(
  db: Database,
  table: QualifiedName,
  keyColumns: readonly string[],
): Promise<boolean> {
  const keys = new Map<string, Set<string>>();
  const add = (index: string, column: string) => {
    if (!keys.has(index)) keys.set(index, new Set());
    keys.get(index)!.add(column);
  };
  if (db.dialect === 'pg') {
    const rows = (await selectRows(
      db.knex,
      'SELECT CAST(i.indexrelid AS text) AS idx, CAST(a.attname AS text) AS col FROM pg_index i ' +
        'JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) ' +
        'WHERE i.indrelid = to_regclass(?) AND i.indisunique AND i.indpred IS NULL',
      [quoteQualified('pg', table)],
    )) as Array<{ idx: string; col: string }>;
    for (const r of rows) add(r.idx, r.col);
  } else if (db.dialect === 'mysql2') {
    const rows = (await selectRows(
      db.knex,
      'SELECT INDEX_NAME AS idx, COLUMN_NAME AS col FROM information_schema.STATISTICS ' +
        'WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND NON_UNIQUE = 0',
      [table.schema ?? null, table.name],
    )) as Array<{ idx: string; col: string }>;
    for (const r of rows) add(r.idx, r.col);
  } else {
    const schema = table.schema ?? 'main';
    const pk = (await selectRows(db.knex, 'SELECT name FROM pragma_table_info(?, ?) WHERE pk > 0', [
      table.name,
      schema,
    ])) as Array<{ name: string }>;
    for (const r of pk) add('primary key', r.name);
    const rows = (await selectRows(
      db.knex,
      'SELECT il.name AS idx, ii.name AS col FROM pragma_index_list(?, ?) il ' +
        'JOIN pragma_index_info(il.name, ?) ii WHERE il."unique" = 1',
      [table.name, schema, schema],
    )) as Array<{ idx: string; col: string }>;
    for (const r of rows) add(r.idx, r.col);
  }
  const wanted = new Set(keyColumns);
  return [...keys.values()].some((cols) => cols.size === wanted.size && [...cols].every((c) => wanted.has(c)));
}

export interface NewColumn {
  name: string;
  type: InferredType | undefined;
}

export async function createTable(
  db: Database,
  table: QualifiedName,
  columns: readonly NewColumn[],
  keyColumns: readonly string[],
): Promise<void> {
  const q = (n: string) => quoteIdentifier(db.dialect, n);
  const keys = new Set(keyColumns);
  const defs = columns.map(
    (c) => `${q(c.name)} ${sqlType(db.dialect, c.type, keys.has(c.name))}${keys.has(c.name) ? ' NOT NULL' : ''}`,
  );
  if (keyColumns.length > 0) defs.push(`PRIMARY KEY (${keyColumns.map(q).join(', ')})`);
  await createIfMissing(db, `CREATE TABLE IF NOT EXISTS ${quoteQualified(db.dialect, table)} (${defs.join(', ')})`);
}

/** Runs a CREATE … IF NOT EXISTS; losing the race to another writer creating the same thing is not an error. */
export async function createIfMissing(db: Database, ddl: string): Promise<void> {
  try {
    await db.knex.raw(ddl);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/** Adds nullable columns; a column another writer added meanwhile is not an error. */
export async function addColumns(db: Database, table: QualifiedName, columns: readonly NewColumn[]): Promise<void> {
  const name = quoteQualified(db.dialect, table);
  for (const c of columns) {
    // MySQL has no ADD COLUMN IF NOT EXISTS (MariaDB and PostgreSQL do): its duplicate-column error is caught.
    const ifNotExists = db.dialect === 'pg' ? 'IF NOT EXISTS ' : '';
    try {
      await db.knex.raw(
        `ALTER TABLE ${name} ADD COLUMN ${ifNotExists}${quoteIdentifier(db.dialect, c.name)} ${sqlType(db.dialect, c.type, false)}`,
      );
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}
