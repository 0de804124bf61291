// How a topic looks as a table: one row per stored event. Dead-letter topics also get the reason, code,
// component, pipeline, attempts and origin that dead-letter.ts writes into headers, as columns of their own.
// Rows are appended a page at a time as DuckDB data chunks (one native call per column per page), which is
// what keeps loading a million events in the same range as reading them.

import type { DuckDBAppender, DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { DLQ_HEADERS } from '../runtime/dead-letter.js';
import { parseEventId, type StoredEvent } from '../storage/storage.js';
import type { DuckDB } from './duckdb-loader.js';

type ColumnType = 'VARCHAR' | 'INTEGER' | 'TIMESTAMPTZ' | 'JSON';

interface Column {
  name: string;
  type: ColumnType;
  value(e: StoredEvent, duck: DuckDB): DuckDBValue;
}

const micros = (ms: number) => BigInt(Math.round(ms)) * 1000n;
const header = (name: string) => (e: StoredEvent) => e.headers[name] ?? null;

/** The columns of every topic table; `stored` is the time the event was stored (the start of its id). */
export const TOPIC_COLUMNS: readonly Column[] = [
  { name: 'id', type: 'VARCHAR', value: (e) => e.id },
  { name: 'partition', type: 'INTEGER', value: (e) => e.partition },
  { name: 'key', type: 'VARCHAR', value: (e) => e.key },
  { name: 'ts', type: 'TIMESTAMPTZ', value: (e, d) => new d.DuckDBTimestampTZValue(micros(e.ts)) },
  {
    name: 'stored',
    type: 'TIMESTAMPTZ',
    value: (e, d) => new d.DuckDBTimestampTZValue(micros(storedTime(e.id))),
  },
  { name: 'value', type: 'JSON', value: (e) => valueAsJson(e.value) },
  { name: 'headers', type: 'JSON', value: (e) => JSON.stringify(e.headers) },
];

/** The extra columns of a dead-letter topic, read from the headers dead-letter.ts writes. */
export const DEAD_LETTER_COLUMNS: readonly Column[] = [
  { name: 'reason', type: 'VARCHAR', value: header(DLQ_HEADERS.error) },
  { name: 'code', type: 'VARCHAR', value: header(DLQ_HEADERS.code) },
  { name: 'component', type: 'VARCHAR', value: header(DLQ_HEADERS.component) },
  { name: 'pipeline', type: 'VARCHAR', value: header(DLQ_HEADERS.pipeline) },
  {
    name: 'attempts',
    type: 'INTEGER',
    value: (e) => {
      const n = Number(e.headers[DLQ_HEADERS.attempts]);
      return Number.isInteger(n) ? n : null;
    },
  },
  { name: 'origin', type: 'VARCHAR', value: header(DLQ_HEADERS.topic) },
  { name: 'origin_id', type: 'VARCHAR', value: header(DLQ_HEADERS.id) },
];

export function storedTime(id: string): number {
  const streamId = parseEventId(id).streamId;
  return Number(streamId.slice(0, streamId.indexOf('-')));
}

/** The value as JSON text: bytes (a value no decoder turned into data) as `{"$bytes": base64}`. */
function valueAsJson(value: unknown): string {
  if (value instanceof Uint8Array) return JSON.stringify({ $bytes: Buffer.from(value).toString('base64') });
  return JSON.stringify(value === undefined ? null : value);
}

export const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** A table being filled with the events of one topic. */
export class TopicTable {
  private constructor(
    private readonly duck: DuckDB,
    private readonly appender: DuckDBAppender,
    private readonly columns: readonly Column[],
    private readonly types: DuckDBType[],
  ) {}

  /** Creates the table `name` (a topic's name, quoted) and an appender to fill it. */
  static async create(
    duck: DuckDB,
    connection: DuckDBConnection,
    name: string,
    isDeadLetter: boolean,
  ): Promise<TopicTable> {
    const columns = isDeadLetter ? [...TOPIC_COLUMNS, ...DEAD_LETTER_COLUMNS] : TOPIC_COLUMNS;
    const ddl = columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(', ');
    await connection.run(`CREATE TABLE ${quoteIdentifier(name)} (${ddl})`);
    const appender = await connection.createAppender(name);
    const byName: Record<ColumnType, DuckDBType> = {
      VARCHAR: duck.VARCHAR,
      INTEGER: duck.INTEGER,
      TIMESTAMPTZ: duck.TIMESTAMPTZ,
      JSON: duck.VARCHAR,
    };
    return new TopicTable(
      duck,
      appender,
      columns,
      columns.map((c) => byName[c.type]),
    );
  }

  append(events: readonly StoredEvent[]): void {
    // A data chunk holds at most 2048 rows (DuckDB's vector size).
    for (let start = 0; start < events.length; start += 2048) {
      const slice = events.slice(start, start + 2048);
      const chunk = this.duck.DuckDBDataChunk.create(this.types, slice.length);
      chunk.setColumns(this.columns.map((c) => slice.map((e) => c.value(e, this.duck))));
      this.appender.appendDataChunk(chunk);
    }
  }

  close(): void {
    this.appender.flushSync();
    this.appender.closeSync();
  }
}
