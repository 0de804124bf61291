// The sql source: polls a table (bulk, incrementing, timestamp, timestamp+incrementing) or a SELECT of the
// user's (query) and turns rows into events. Its checkpoint is the cursor; see cursor.ts for why no row is
// lost or read twice.
import { parseTimestamp, type SluiceEvent } from '../../core/event.js';
import { defineSource, MAX_TIMER_MS, type PollResult, z } from '../../core/plugin.js';
import { classifySqlError } from './classify-error.js';
import { connectionFields, openDatabase } from './connection.js';
import { checkDatabase } from './connection-check.js';
import { type CursorSpec, type Mode, parseCheckpoint, type Row, step, trimQueryRows } from './cursor.js';
import { columnNameSchema, parseQualifiedName, tableNameSchema } from './identifiers.js';
import { OutageLog } from './outage-log.js';
import { parseQueryParams } from './query-params.js';
import { nativePlaceholders, runQuery } from './raw-query.js';
import { ReadAhead } from './read-ahead.js';
import { type CursorValue, clockQuery, type RowQuery, renderRowQuery } from './select-query.js';
import { type ReadOptions, rowReader } from './type-mapping.js';

const MODES = ['bulk', 'incrementing', 'timestamp', 'timestamp+incrementing', 'query'] as const;

const config = z
  .object({
    ...connectionFields,
    mode: z
      .enum(MODES)
      .describe(
        'bulk: the whole table each poll. incrementing: rows with a higher incrementingColumn. timestamp: rows ' +
          'with a later timestampColumn. timestamp+incrementing: both (the safest for updated rows). query: ' +
          'your SELECT with a bound :cursor.',
      ),
    table: tableNameSchema('Table to read (`table` or `schema.table`); not used in query mode.').optional(),
    columns: z
      .array(columnNameSchema('A column to select.'))
      .optional()
      .describe('Columns to select (default all); cursor, key and time columns are always selected.'),
    incrementingColumn: columnNameSchema(
      'Strictly increasing integer column (an auto-increment id); modes incrementing and timestamp+incrementing.',
    ).optional(),
    timestampColumn: columnNameSchema(
      'Last-modified time column (timestamp, timestamptz, DATETIME; ISO text or epoch ms in SQLite); timestamp modes.',
    ).optional(),
    query: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Query mode: a SELECT returning rows after :cursor ordered by cursorColumn, e.g. `SELECT * FROM t WHERE ' +
          'id > :cursor ORDER BY id LIMIT :limit`. :cursor and :limit (batchSize) are bound parameters.',
      ),
    cursorColumn: columnNameSchema(
      'Query mode: the result column whose last value becomes the next :cursor.',
    ).optional(),
    initialCursor: z
      .union([z.string(), z.number()])
      .optional()
      .describe('Query mode: the :cursor of the first poll (such as 0 or "1970-01-01").'),
    intervalMs: z
      .number()
      .int()
      .max(MAX_TIMER_MS)
      .positive()
      .default(5000)
      .describe('Time between polls when caught up, ms.'),
    batchSize: z.number().int().min(1).max(1_000_000).default(1000).describe('Most rows read per poll.'),
    visibilityDelayMs: z
      .number()
      .int()
      .max(MAX_TIMER_MS)
      .min(0)
      .default(5000)
      .describe(
        'Rows are read only once older than the database clock minus this delay, and a gap in an incrementing ' +
          'column is waited on this long, so transactions that commit up to this late are not missed. Set it ' +
          'above your longest write transaction.',
      ),
    keyColumns: z
      .array(columnNameSchema('A key column.'))
      .default([])
      .describe('Columns whose values form the event key: one column gives its text, several a JSON object.'),
    tsColumn: columnNameSchema(
      'Column holding the event time (default: timestampColumn; without either, the time of the poll).',
    ).optional(),
    bigintAs: z
      .enum(['string', 'number'])
      .default('string')
      .describe('64-bit integers as exact strings, or as numbers (only when exactly representable; else strings).'),
    decimalAs: z
      .enum(['string', 'number'])
      .default('string')
      .describe('NUMERIC/DECIMAL values as exact strings, or as (possibly rounded) numbers.'),
    jsonColumns: z
      .array(columnNameSchema('A JSON text column.'))
      .default([])
      .describe('Text columns holding JSON to parse into objects (JSON/JSONB columns are parsed without listing).'),
  })
  .superRefine((c, ctx) => {
    const need = (key: string, why: string) =>
      ctx.addIssue({ code: 'custom', path: [key], message: `${key} is required ${why}` });
    if (c.mode !== 'query' && c.table === undefined) need('table', `in mode ${c.mode}`);
    if ((c.mode === 'incrementing' || c.mode === 'timestamp+incrementing') && !c.incrementingColumn)
      need('incrementingColumn', `in mode ${c.mode}`);
    if ((c.mode === 'timestamp' || c.mode === 'timestamp+incrementing') && !c.timestampColumn)
      need('timestampColumn', `in mode ${c.mode}`);
    if (c.mode === 'query') {
      if (c.query === undefined) need('query', 'in mode query');
      else if (!parseQueryParams(c.client, c.query).params.includes('cursor'))
        ctx.addIssue({
          code: 'custom',
          path: ['query'],
          message: 'query must use :cursor (rows after the last cursor)',
        });
      if (!c.cursorColumn) need('cursorColumn', 'in mode query');
      if (c.initialCursor === undefined) need('initialCursor', 'in mode query');
    }
  });

type SourceConfig = z.output<typeof config>;

function eventKey(value: Row, keyColumns: readonly string[]): string | null {
  if (keyColumns.length === 0) return null;
  if (keyColumns.length === 1) {
    const v = value[keyColumns[0]];
    if (v === null || v === undefined) return null;
    return typeof v === 'string' ? v : JSON.stringify(v);
  }
  return JSON.stringify(Object.fromEntries(keyColumns.map((c) => [c, value[c] ?? null])));
}

function selectedColumns(c: SourceConfig): string[] | undefined {
  if (c.columns === undefined) return undefined;
  const extra = [c.incrementingColumn, c.timestampColumn, c.tsColumn, ...c.keyColumns].filter(
    (x): x is string => x !== undefined,
  );
  return [...new Set([...c.columns, ...extra])];
}

export default defineSource({
  name: 'sql',
  summary: 'Read rows from PostgreSQL, MySQL/MariaDB or SQLite tables, incrementally and without losing late rows.',
  config,
  checkConnection: checkDatabase,
  create(c, ctx) {
    const read: ReadOptions = {
      numbers: { bigintAs: c.bigintAs, decimalAs: c.decimalAs },
      jsonColumns: new Set(c.jsonColumns),
    };
    const db = openDatabase(c, ctx, { numbers: read.numbers });
    const where = `sql source of pipeline "${ctx.pipeline}" (${db.label})`;
    const outage = new OutageLog({
      logger: ctx.logger,
      what: `sql source of pipeline "${ctx.pipeline}"`,
      database: db.label,
    });
    const mode: Mode = c.mode;
    const tsColumn = c.tsColumn ?? c.timestampColumn;
    // The event value of an exact row, where the two differ (most rows need no change and are not kept here).
    const values = new WeakMap<Row, Row>();
    let isAnyChanged = false;

    async function select(sql: string, bindings: readonly unknown[]): Promise<Row[]> {
      const result = await runQuery(db, sql, bindings);
      const reader = rowReader(db.dialect, result.fields, read);
      return result.rows.map((raw) => {
        const exact = reader.exact(raw);
        const value = reader.value(exact);
        if (value !== exact) {
          values.set(exact, value);
          isAnyChanged = true;
        }
        return exact;
      });
    }

    const shape = {
      table: parseQualifiedName(c.table ?? ''),
      columns: selectedColumns(c),
      timestampColumn: c.timestampColumn,
      incrementingColumn: c.incrementingColumn,
    };
    const spec: CursorSpec | undefined =
      mode === 'query'
        ? undefined
        : {
            mode,
            timestampColumn: c.timestampColumn,
            incrementingColumn: c.incrementingColumn,
            batchSize: c.batchSize,
            visibilityDelayMs: c.visibilityDelayMs,
            where,
          };
    const io = {
      fetch(query: RowQuery) {
        const statement = renderRowQuery(db.dialect, shape, query);
        return select(nativePlaceholders(db.dialect, statement.sql), statement.bindings);
      },
      async now() {
        const sql = clockQuery(db.dialect);
        if (sql === undefined) return Date.now();
        const rows = await select(sql, []);
        return Number(rows[0].now_ms);
      },
    };
    const userQuery = c.query === undefined ? undefined : parseQueryParams(db.dialect, c.query);

    async function pollQuery(checkpoint: Extract<ReturnType<typeof parseCheckpoint>, { mode: 'query' }>) {
      const cursor: CursorValue = checkpoint.cursor ?? c.initialCursor!;
      const bindings = userQuery!.params.map((p) => (p === 'cursor' ? cursor : c.batchSize));
      const rows = await select(userQuery!.sql, bindings);
      const limit = userQuery!.params.includes('limit') ? c.batchSize : undefined;
      const trimmed = trimQueryRows(rows, { cursorColumn: c.cursorColumn!, limit, where });
      const last = trimmed.rows.at(-1);
      const next =
        last === undefined ? checkpoint : { mode: 'query' as const, cursor: last[c.cursorColumn!] as CursorValue };
      return { rows: trimmed.rows, checkpoint: next, hasMore: trimmed.isFull };
    }

    function toEvent(exact: Row, now: number): SluiceEvent {
      const value = (isAnyChanged && values.get(exact)) || exact;
      const ts = tsColumn === undefined ? undefined : parseTimestamp(value[tsColumn]);
      return { key: eventKey(value, c.keyColumns), value, ts: ts ?? now, headers: {} };
    }

    type Read = { rows: Row[]; checkpoint: unknown; hasMore: boolean };
    const readFrom = async (stored: unknown): Promise<Read> => {
      const checkpoint = parseCheckpoint(mode, stored, where);
      return checkpoint.mode === 'query' ? pollQuery(checkpoint) : step(spec!, checkpoint, io);
    };
    const ahead = new ReadAhead<Read>(c.intervalMs);

    return {
      intervalMs: c.intervalMs,
      async poll(stored: unknown): Promise<PollResult> {
        let result: Read;
        try {
          result = await (ahead.take(JSON.stringify(stored ?? null)) ?? readFrom(stored));
          // The runtime polls again at once when there is more: the read from this poll's checkpoint starts now.
          if (result.hasMore) ahead.start(JSON.stringify(result.checkpoint ?? null), () => readFrom(result.checkpoint));
        } catch (err) {
          const error = classifySqlError(err, where);
          outage.failed(error);
          throw error;
        }
        outage.succeeded();
        const now = Date.now();
        return {
          events: result.rows.map((row) => toEvent(row, now)),
          checkpoint: result.checkpoint,
          hasMore: result.hasMore,
        };
      },
      async close() {
        await ahead.settle();
        await db.close();
      },
    };
  },
});
