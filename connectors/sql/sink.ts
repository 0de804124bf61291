// The sql sink: writes each batch in one transaction (insert, upsert, or delete for a null value), creates or
// widens the table when asked, skips events it already wrote (sink-offsets.ts), and sends a row the database
// refuses to the dead-letter topic with the database's message while the rest of the batch is written.
import jsonata from 'jsonata';
import { FatalError, RecordError, RetryableError } from '../../core/errors.js';
import type { SluiceEvent } from '../../core/event.js';
import { defineSink, type RecordRejection, z } from '../../core/plugin.js';
import { classifySqlError, databaseMessage, isRowError, sqlErrorCode } from './classify-error.js';
import { connectionFields, openDatabase } from './connection.js';
import { columnNameSchema, identifierProblem, parseQualifiedName, tableNameSchema } from './identifiers.js';
import { type RowOp, RowWriter } from './row-writer.js';
import { alreadyWritten, OffsetsTable, parseEventPosition, recordBatch, type WrittenRanges } from './sink-offsets.js';
import { addColumns, createTable, hasUniqueKey, loadTable, type NewColumn, type TableInfo } from './table-schema.js';
import { type InferredType, inferType, mergeTypes } from './type-mapping.js';

const config = z
  .object({
    ...connectionFields,
    table: tableNameSchema('Destination table (`table` or `schema.table`); names are exact (case-sensitive).'),
    mode: z
      .enum(['insert', 'upsert'])
      .default('insert')
      .describe('insert: add rows. upsert: insert, or update the row with the same keyColumns.'),
    keyColumns: z
      .array(columnNameSchema('A key column.'))
      .default([])
      .describe(
        'Columns identifying a row: the conflict target of upsert (a primary key or unique index on exactly these ' +
          'columns) and the row a null value deletes. Missing key fields are taken from the event key.',
      ),
    deleteOnNull: z
      .boolean()
      .default(true)
      .describe('An event whose value is null (a tombstone) deletes the row with its key; false dead-letters it.'),
    mapping: z
      .string()
      .min(1)
      .superRefine((expr, ctx) => {
        try {
          jsonata(expr);
        } catch (err) {
          ctx.addIssue({
            code: 'custom',
            message: `mapping is not a valid JSONata expression: ${(err as Error).message}`,
          });
        }
      })
      .describe(
        'JSONata expression over {key, value, ts, headers, id} giving the row as {column: value}. Default: the ' +
          "value's fields, by name.",
      )
      .optional(),
    onUnknownField: z
      .enum(['reject', 'ignore'])
      .default('reject')
      .describe('A field with no column (and autoEvolve off): dead-letter the event, or drop the field.'),
    autoCreate: z
      .boolean()
      .default(false)
      .describe(
        'Create a missing table from the first batch (column types from the values, keyColumns as primary key).',
      ),
    autoEvolve: z.boolean().default(false).describe('Add a nullable column for a field the table does not have.'),
    trackOffsets: z
      .boolean()
      .default(true)
      .describe(
        'Record the id ranges written per partition in offsetsTable, in the same transaction as the rows, and skip ' +
          'events delivered again.',
      ),
    offsetsTable: tableNameSchema('Table holding the written offsets (created when missing).').default(
      'sluice_offsets',
    ),
    offsetsKey: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('Name of this sink in offsetsTable (default: "<pipeline>/<table>").'),
  })
  .superRefine((c, ctx) => {
    if (c.mode === 'upsert' && c.keyColumns.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['keyColumns'], message: 'keyColumns is required in mode upsert' });
    }
  });

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Key column values from an event key: a JSON object (or array) of them, or the key text for a single column. */
export function keyFromEventKey(key: string | null, keyColumns: readonly string[]): unknown[] | undefined {
  if (key === null || keyColumns.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(key);
    if (isPlainObject(parsed) && keyColumns.every((c) => parsed[c] !== undefined && parsed[c] !== null))
      return keyColumns.map((c) => parsed[c]);
    if (Array.isArray(parsed) && parsed.length === keyColumns.length && keyColumns.length > 1) return parsed;
  } catch {
    // not JSON: the key text itself
  }
  return keyColumns.length === 1 ? [key] : undefined;
}

export default defineSink({
  name: 'sql',
  summary: 'Write events as rows to PostgreSQL, MySQL/MariaDB or SQLite: insert, upsert or delete, effectively once.',
  config,
  create(c, ctx) {
    const db = openDatabase(c, ctx);
    const table = parseQualifiedName(c.table);
    const where = `sql sink of pipeline "${ctx.pipeline}" writing table "${c.table}" (${db.label})`;
    const writer = new RowWriter(db, { table, mode: c.mode, keyColumns: c.keyColumns });
    const offsets = new OffsetsTable(
      db,
      parseQualifiedName(c.offsetsTable),
      c.offsetsKey ?? `${ctx.pipeline}/${c.table}`,
    );
    const mapping = c.mapping === undefined ? undefined : jsonata(c.mapping);
    let info: TableInfo | undefined;
    let isKeyChecked = false;

    const reject = (index: number, message: string, code: string): RecordRejection => ({
      index,
      error: new RecordError(`${where}: ${message}`, { code }),
    });

    async function toRow(event: SluiceEvent): Promise<unknown> {
      if (!mapping) return event.value;
      return mapping.evaluate({
        key: event.key,
        value: event.value,
        ts: event.ts,
        headers: event.headers,
        id: event.id,
      });
    }

    /** One operation per event, or the reason the event cannot be written. */
    async function prepare(event: SluiceEvent, index: number): Promise<RowOp | RecordRejection> {
      const label = `event ${event.id ?? `#${index}`}`;
      if (event.value === null) {
        if (!c.deleteOnNull)
          return reject(index, `${label} has a null value and deleteOnNull is off`, 'E_SQL_TOMBSTONE');
        const key = keyFromEventKey(event.key, c.keyColumns);
        if (key === undefined) {
          return reject(
            index,
            `${label} has a null value (a delete) but its key ${JSON.stringify(event.key)} does not give ` +
              `keyColumns [${c.keyColumns.join(', ')}]${c.keyColumns.length === 0 ? '; set keyColumns' : ''}`,
            'E_SQL_KEY',
          );
        }
        return { index, kind: 'delete', key };
      }
      let value: unknown;
      try {
        value = await toRow(event);
      } catch (err) {
        return reject(index, `mapping failed for ${label}: ${(err as Error).message}`, 'E_SQL_MAPPING');
      }
      if (!isPlainObject(value)) {
        const what =
          value instanceof Uint8Array
            ? 'bytes (decode them first, e.g. with the json processor)'
            : (JSON.stringify(value) ?? 'nothing');
        return reject(index, `${label} gives ${what}, not an object of column values; set mapping`, 'E_SQL_MAPPING');
      }
      const row: Record<string, unknown> = {};
      for (const [column, v] of Object.entries(value)) {
        if (v === undefined) continue;
        const problem = identifierProblem(column);
        if (problem)
          return reject(
            index,
            `${label} has field ${JSON.stringify(column)}, which as a column name ${problem}; rename it with mapping`,
            'E_SQL_COLUMN',
          );
        row[column] = v;
      }
      const missingKeys = c.keyColumns.filter((k) => row[k] === undefined || row[k] === null);
      if (missingKeys.length > 0) {
        const fromKey = keyFromEventKey(event.key, c.keyColumns);
        if (fromKey) for (const [i, k] of c.keyColumns.entries()) row[k] ??= fromKey[i];
        else if (c.mode === 'upsert')
          return reject(index, `${label} has no value for key column(s) ${missingKeys.join(', ')}`, 'E_SQL_KEY');
      }
      if (Object.keys(row).length === 0) return reject(index, `${label} has no fields to write`, 'E_SQL_MAPPING');
      return { index, kind: 'write', row };
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

    /** Loads (and when asked creates or widens) the table so that it has every column the operations use. */
    async function ensureTable(ops: readonly RowOp[]): Promise<TableInfo> {
      info ??= await loadTable(db, table);
      if (info.columns.size === 0) {
        if (!c.autoCreate) {
          throw new FatalError(`${where}: the table does not exist; create it, or set autoCreate: true`, {
            code: 'E_SQL_MISSING_TABLE',
          });
        }
        const names = new Set(c.keyColumns);
        for (const op of ops) if (op.kind === 'write') for (const name of Object.keys(op.row)) names.add(name);
        if (names.size === 0) return info;
        await createTable(db, table, inferColumns(ops, names), c.keyColumns);
        ctx.logger.info({ table: c.table }, 'created the table from the first batch (autoCreate)');
        info = await loadTable(db, table);
      }
      if (c.autoEvolve) {
        const missing = new Set<string>();
        for (const op of ops)
          if (op.kind === 'write')
            for (const name of Object.keys(op.row)) if (!info.columns.has(name)) missing.add(name);
        if (missing.size > 0) {
          await addColumns(db, table, inferColumns(ops, missing));
          ctx.logger.info({ table: c.table, columns: [...missing] }, 'added columns for new fields (autoEvolve)');
          info = await loadTable(db, table);
        }
      }
      if (c.mode === 'upsert' && !isKeyChecked) {
        if (!(await hasUniqueKey(db, table, c.keyColumns))) {
          throw new FatalError(
            `${where}: upsert needs a primary key or unique index on exactly (${c.keyColumns.join(', ')}), and the ` +
              'table has none; create one',
            { code: 'E_SQL_NO_UNIQUE_KEY' },
          );
        }
        isKeyChecked = true;
      }
      return info;
    }

    /** Drops or rejects fields that have no column (autoEvolve off). */
    function fitColumns(
      ops: RowOp[],
      known: TableInfo,
      batch: readonly SluiceEvent[],
      rejected: RecordRejection[],
    ): RowOp[] {
      const kept: RowOp[] = [];
      for (const op of ops) {
        if (op.kind === 'write') {
          const unknown = Object.keys(op.row).filter((name) => !known.columns.has(name));
          if (unknown.length > 0) {
            if (c.onUnknownField === 'reject') {
              const id = batch[op.index].id ?? `#${op.index}`;
              rejected.push(
                reject(
                  op.index,
                  `event ${id} has field(s) ${unknown.join(', ')} with no column in the table; add the columns, set autoEvolve: true, or onUnknownField: ignore`,
                  'E_SQL_UNKNOWN_COLUMN',
                ),
              );
              continue;
            }
            const row = { ...op.row };
            for (const name of unknown) delete row[name];
            if (Object.keys(row).length === 0) continue;
            kept.push({ ...op, row });
            continue;
          }
        }
        kept.push(op);
      }
      return kept;
    }

    return {
      async write(batch) {
        const rejected: RecordRejection[] = [];
        let ops: RowOp[] = [];
        for (let i = 0; i < batch.length; i++) {
          const prepared = await prepare(batch[i], i);
          if ('kind' in prepared) ops.push(prepared);
          else rejected.push(prepared);
        }
        const positions = batch.map((e) => (c.trackOffsets ? parseEventPosition(e.id) : undefined));
        const partitions = [...new Set(positions.filter((p) => p !== undefined).map((p) => p.partition))];
        let skipped: (index: number) => boolean = () => false;
        let failures: Array<{ index: number; error: unknown }> = [];
        try {
          await db.write(async () => {
            if (ops.length > 0) {
              let known = await ensureTable(ops);
              // A column added since the table was last looked at (by a person, or another worker) is found here.
              if (
                ops.some((op) => op.kind === 'write' && Object.keys(op.row).some((name) => !known.columns.has(name)))
              ) {
                info = undefined;
                known = await ensureTable(ops);
              }
              ops = fitColumns(ops, known, batch, rejected);
            }
            if (partitions.length > 0) await offsets.prepare(partitions);
            const kinds = info?.columns ?? new Map();
            const attempt = (isCareful: boolean) =>
              db.knex.transaction(async (trx) => {
                const written =
                  partitions.length > 0 ? await offsets.lock(trx, partitions) : new Map<number, WrittenRanges>();
                // Decided before this batch's own range is recorded below.
                const skippedIndexes = alreadyWritten(positions, written);
                const isSkipped = (index: number) => skippedIndexes.has(index);
                const todo = ops.filter((op) => !isSkipped(op.index));
                const rowFailures = todo.length > 0 ? await writer.write(trx, todo, kinds, isCareful) : [];
                // Rows written, refused and skipped alike are done with: the batch's ranges are recorded.
                const changed = recordBatch(positions, written);
                await offsets.save(trx, changed);
                return { isSkipped, rowFailures };
              });
            let outcome: Awaited<ReturnType<typeof attempt>>;
            try {
              outcome = await attempt(false);
            } catch (err) {
              // A row error aborts the batch statement (and in PostgreSQL the transaction): write again, isolating rows.
              if (!isRowError(err)) throw err;
              outcome = await attempt(true);
            }
            skipped = outcome.isSkipped;
            failures = outcome.rowFailures;
          });
        } catch (err) {
          let error = classifySqlError(err, where);
          // Rows the database refuses are isolated and returned above; a record-kind error that still reaches
          // here concerns the batch (DDL, the offsets table), so the batch is retried, not dead-lettered.
          if (error.kind === 'record') error = new RetryableError(error.message, { code: error.code, cause: err });
          if (error.code === 'E_SQL_MISSING_TABLE' || error.code === 'E_SQL_MISSING_COLUMN') {
            info = undefined; // the table changed under us: look again next time
            if (c.autoCreate || c.autoEvolve) throw new RetryableError(error.message, { code: error.code, cause: err });
          }
          throw error;
        }
        for (const f of failures) {
          rejected.push({
            index: f.index,
            error: new RecordError(
              `${where}: event ${batch[f.index].id ?? `#${f.index}`} not written: ${databaseMessage(f.error)}`,
              {
                code: sqlErrorCode(f.error),
              },
            ),
          });
        }
        // An event written (or dead-lettered) by an earlier delivery is not dead-lettered again.
        const result = rejected.filter((r) => !skipped(r.index)).sort((a, b) => a.index - b.index);
        return result.length > 0 ? { rejected: result } : {};
      },
      close: () => db.close(),
    };
  },
});
