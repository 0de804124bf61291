// The sql sink: writes each batch atomically with its offsets (insert, upsert, or delete for a null value): in one
// transaction, or on PostgreSQL once it knows a partition's offsets in one guarded statement, together with the
// partition's batches that waited with it. It creates or widens the table when asked, skips events it already
// wrote (sink-offsets.ts), and sends a row the database refuses to the dead-letter topic with the database's
// message while the rest of the batch is written.
import jsonata from 'jsonata';
import type { Knex } from 'knex';
import { RecordError, RetryableError, type SluiceError } from '../../core/errors.js';
import type { SluiceEvent } from '../../core/event.js';
import { defineSink, type PluginContext, type RecordRejection, type SinkInstance, z } from '../../core/plugin.js';
import { classifySqlError, databaseMessage, isRowError, sqlErrorCode } from './classify-error.js';
import { connectionFields, type Database, openDatabase } from './connection.js';
import { checkDatabase } from './connection-check.js';
import { EventRows, type Refusal } from './event-rows.js';
import { columnNameSchema, parseQualifiedName, tableNameSchema } from './identifiers.js';
import { OutageLog } from './outage-log.js';
import { PartitionTurns } from './partition-turns.js';
import { nativePlaceholders, runQuery } from './raw-query.js';
import { type RowFailure, type RowOp, RowWriter } from './row-writer.js';
import {
  alreadyWritten,
  batchSpans,
  type EventPosition,
  OffsetsTable,
  parseEventPosition,
  type Range,
} from './sink-offsets.js';
import { SinkTable } from './sink-table.js';
import type { ColumnKind } from './type-mapping.js';
import { type Settled, WaitingBatches } from './waiting-batches.js';
import { oneStatement, runStatements } from './write-statements.js';

// Identifiers are at most 63 bytes; the ranges table adds "_ranges" to the offsets table's name.
const MAX_OFFSETS_NAME_BYTES = 63 - '_ranges'.length;

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
    versionColumn: columnNameSchema(
      'upsert: a column that holds the position of the event that last wrote the row (40 digits, text); an ' +
        'event older than the row changes nothing, so a replay never moves a row back in time, even with ' +
        'trackOffsets off or the offsets deleted. autoCreate and autoEvolve add it.',
    ).optional(),
    onUnknownField: z
      .enum(['reject', 'ignore'])
      .default('reject')
      .describe('A field with no column (and autoEvolve off): dead-letter the event, or drop the field.'),
    autoCreate: z
      .boolean()
      .default(false)
      .describe(
        'Create a missing table from the first batch (column types from the values, keyColumns as primary key; ' +
          'numbers become double precision columns, integer key columns bigint).',
      ),
    autoEvolve: z.boolean().default(false).describe('Add a nullable column for a field the table does not have.'),
    trackOffsets: z
      .boolean()
      .default(true)
      .describe(
        'Record the id ranges written per partition in offsetsTable, in the same transaction as the rows, and skip ' +
          'events delivered again.',
      ),
    offsetsTable: tableNameSchema(
      'Table holding the written offsets, with <offsetsTable>_ranges beside it (both created when missing).',
    )
      .refine((name) => Buffer.byteLength(parseQualifiedName(name).name) <= MAX_OFFSETS_NAME_BYTES, {
        message: `the table name must leave room for the "_ranges" table beside it: at most ${MAX_OFFSETS_NAME_BYTES} bytes`,
      })
      .default('sluice_offsets'),
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
    if (c.versionColumn !== undefined && c.mode !== 'upsert') {
      ctx.addIssue({ code: 'custom', path: ['versionColumn'], message: 'versionColumn needs mode: upsert' });
    }
    if (c.versionColumn !== undefined && c.keyColumns.includes(c.versionColumn)) {
      ctx.addIssue({ code: 'custom', path: ['versionColumn'], message: 'versionColumn cannot be a key column' });
    }
  });

type SinkConfig = z.output<typeof config>;

/** A batch ready to write: its operations fitted to the table, and where its events sit in their partitions. */
interface PlannedBatch {
  ops: RowOp[];
  kinds: ReadonlyMap<string, ColumnKind>;
  positions: readonly (EventPosition | undefined)[];
  spans: ReadonlyMap<number, Range>;
}

/** A batch as the sink received it, with where its events sit in their partitions. */
interface PreparedBatch {
  ops: RowOp[];
  batch: readonly SluiceEvent[];
  positions: readonly (EventPosition | undefined)[];
  spans: ReadonlyMap<number, Range>;
}

/** What one transaction did: the events it skipped as already written, and the rows the database refused. */
interface Written {
  skipped: ReadonlySet<number>;
  rowFailures: RowFailure[];
}

/** A batch written: what the write did, and the events refused before it (no column for a field). */
interface Outcome {
  written: Written;
  refused: Refusal[];
}

class SqlSink implements SinkInstance {
  private readonly db: Database;
  private readonly where: string;
  private readonly rows: EventRows;
  private readonly table: SinkTable;
  private readonly writer: RowWriter;
  private readonly offsets: OffsetsTable;
  private readonly outage: OutageLog;
  private readonly turns = new PartitionTurns();
  private readonly waiting = new WaitingBatches<PreparedBatch, Outcome>();

  constructor(
    private readonly c: SinkConfig,
    ctx: PluginContext,
  ) {
    this.db = openDatabase(c, ctx);
    const table = parseQualifiedName(c.table);
    const who = `sql sink of pipeline "${ctx.pipeline}" writing table "${c.table}"`;
    this.where = `${who} (${this.db.label})`;
    this.rows = new EventRows(c);
    this.table = new SinkTable({ ...c, db: this.db, table, tableName: c.table, where: this.where, logger: ctx.logger });
    this.writer = new RowWriter(this.db, {
      table,
      mode: c.mode,
      keyColumns: c.keyColumns,
      versionColumn: c.versionColumn,
    });
    this.offsets = new OffsetsTable(
      this.db,
      parseQualifiedName(c.offsetsTable),
      c.offsetsKey ?? `${ctx.pipeline}/${c.table}`,
    );
    this.outage = new OutageLog({ logger: ctx.logger, what: who, database: this.db.label });
  }

  async write(batch: readonly SluiceEvent[]) {
    const { ops, refusals } = await this.rows.prepareBatch(batch);
    const positions = batch.map((e) => (this.c.trackOffsets ? parseEventPosition(e.id) : undefined));
    const spans = batchSpans(positions);
    const prepared: PreparedBatch = { ops, batch, positions, spans };
    let outcome: Outcome;
    try {
      const [partition] = spans.keys();
      outcome =
        spans.size === 1 && this.db.dialect === 'pg'
          ? await this.waiting.join(
              partition,
              prepared,
              (fn) => this.turns.run(spans.keys(), fn),
              (all) => this.db.write(() => this.writeAll(all)),
            )
          : await this.turns.run(spans.keys(), () => this.db.write(() => this.writeOne(prepared)));
    } catch (err) {
      throw this.failure(err);
    }
    this.outage.succeeded();
    const { written, refused } = outcome;
    const rejected: RecordRejection[] = [...refusals, ...refused].map((r) => ({
      index: r.index,
      error: new RecordError(`${this.where}: ${r.message}`, { code: r.code }),
    }));
    for (const f of written.rowFailures) {
      rejected.push({
        index: f.index,
        error: new RecordError(
          `${this.where}: event ${batch[f.index].id ?? `#${f.index}`} not written: ${databaseMessage(f.error)}`,
          { code: sqlErrorCode(f.error) },
        ),
      });
    }
    // An event written (or dead-lettered) by an earlier delivery is not dead-lettered again.
    const result = rejected.filter((r) => !written.skipped.has(r.index)).sort((a, b) => a.index - b.index);
    return result.length > 0 ? { rejected: result } : {};
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private async writeOne({ ops, batch, positions, spans }: PreparedBatch): Promise<Outcome> {
    const { planned, refused } = await this.plan(ops, batch, positions, spans);
    return { written: await this.writeTransaction(planned), refused };
  }

  /**
   * PostgreSQL, batches of one partition that waited for the same turn (often just one): in one statement if they
   * can be, else each in its own locking transaction.
   */
  private async writeAll(all: PreparedBatch[]): Promise<Settled<Outcome>[]> {
    const together = await this.writeTogether(all);
    if (together) return together.map((value) => ({ value }));
    const outcomes: Settled<Outcome>[] = [];
    for (const prepared of all) {
      try {
        outcomes.push({ value: await this.writeOne(prepared) });
      } catch (error) {
        outcomes.push({ error });
      }
    }
    return outcomes;
  }

  /**
   * PostgreSQL: batches of one partition in one guarded statement (one round trip), each decided against the
   * ranges as the batches before it leave them; undefined, with nothing written, when this process does not know
   * the partition's offsets, the rows need more than one statement, or the statement failed (the offsets row
   * moved, a row refused, the connection lost): the locking path then decides anew.
   */
  private async writeTogether(all: PreparedBatch[]): Promise<Outcome[] | undefined> {
    const plans = [];
    for (const { ops, batch, positions, spans } of all) plans.push(await this.plan(ops, batch, positions, spans));
    const guarded = this.offsets.guarded(all.map((p) => p.spans));
    if (!guarded) return undefined;
    const skipped = all.map((p, i) => alreadyWritten(p.positions, guarded.records[i].written, p.spans));
    const todo = plans.flatMap(({ planned }, i) => planned.ops.filter((op) => !skipped[i].has(op.index)));
    const rows = this.writer.statementsOf(todo, plans[plans.length - 1].planned.kinds);
    if (rows.length > 1) return undefined;
    const statement = oneStatement(guarded.guard, guarded.bookkeeping, rows[0]);
    try {
      const { rows: result } = await runQuery(this.db, nativePlaceholders('pg', statement.sql), statement.bindings);
      guarded.learn(String(result[0].version));
    } catch {
      // Nothing of the statement stays: each batch goes its own way, where its own error (if any) is reported.
      this.offsets.forget(all[0].spans.keys());
      return undefined;
    }
    return plans.map(({ refused }, i) => ({ written: { skipped: skipped[i], rowFailures: [] }, refused }));
  }

  /** Fits the operations to the table (creating or widening it when asked) and makes the offsets rows ready. */
  private async plan(
    ops: RowOp[],
    batch: readonly SluiceEvent[],
    positions: readonly (EventPosition | undefined)[],
    spans: ReadonlyMap<number, Range>,
  ): Promise<{ planned: PlannedBatch; refused: Refusal[] }> {
    const fitted = ops.length > 0 ? await this.table.prepare(ops, batch) : undefined;
    if (spans.size > 0) await this.offsets.prepare(spans.keys());
    const planned = { ops: fitted?.ops ?? [], kinds: fitted?.info.columns ?? new Map(), positions, spans };
    return { planned, refused: fitted?.refused ?? [] };
  }

  private async writeTransaction(planned: PlannedBatch): Promise<Written> {
    try {
      return await this.transaction(planned, false);
    } catch (err) {
      // A row error aborts the batch statement (and in PostgreSQL the transaction): write again, isolating rows.
      if (!isRowError(err)) throw err;
      return this.transaction(planned, true);
    }
  }

  private async transaction(planned: PlannedBatch, isCareful: boolean): Promise<Written> {
    const { written, learned } = await this.db.knex.transaction(async (trx) => {
      const written = await this.transactionBody(trx, planned, isCareful);
      return { written, learned: await this.offsets.learn(trx, planned.spans) };
    });
    learned?.();
    return written;
  }

  private async transactionBody(
    trx: Knex.Transaction,
    { ops, kinds, positions, spans }: PlannedBatch,
    isCareful: boolean,
  ): Promise<Written> {
    const records = spans.size > 0 ? await this.offsets.lock(trx, spans) : undefined;
    // Decided before this batch's own range is recorded below.
    const skipped = records ? alreadyWritten(positions, records.written, spans) : new Set<number>();
    const todo = ops.filter((op) => !skipped.has(op.index));
    // Rows written, refused and skipped alike are done with: the batch's ranges are recorded.
    const bookkeeping = records ? this.offsets.recordings(spans, records) : [];
    if (!isCareful) {
      await this.writer.write(trx, todo, kinds, bookkeeping);
      return { skipped, rowFailures: [] };
    }
    const rowFailures = todo.length > 0 ? await this.writer.writeCarefully(trx, todo, kinds) : [];
    await runStatements(trx, bookkeeping);
    return { skipped, rowFailures };
  }

  /** The error to throw for a failed batch; a lost connection is logged once per outage. */
  private failure(err: unknown): SluiceError {
    const error = classifySqlError(err, this.where);
    this.outage.failed(error);
    // Rows the database refuses are isolated and returned by the transaction; a record-kind error that still
    // reaches here concerns the batch (DDL, the offsets tables), so the batch is retried, not dead-lettered.
    if (error.kind === 'record') return new RetryableError(error.message, { code: error.code, cause: err });
    if (error.code === 'E_SQL_MISSING_TABLE' || error.code === 'E_SQL_MISSING_COLUMN') {
      this.table.forget(); // the table changed under the sink: look again next time
      if (this.c.autoCreate || this.c.autoEvolve)
        return new RetryableError(error.message, { code: error.code, cause: err });
    }
    return error;
  }
}

export default defineSink({
  name: 'sql',
  summary: 'Write events as rows to PostgreSQL, MySQL/MariaDB or SQLite: insert, upsert or delete, effectively once.',
  config,
  checkConnection: checkDatabase,
  create: (c, ctx) => new SqlSink(c, ctx),
});
