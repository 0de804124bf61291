// SQL over stored events: each topic the statement names is scanned (paged, time bounds pushed down to the
// stream read) into a table of an in-memory DuckDB, and the statement runs there; rows stream out in chunks.
// Every query gets a DuckDB of its own with no file or network access, so a query can read stored events and
// nothing else, and closing the result frees all of it.

import type { DuckDBConnection, DuckDBInstance, DuckDBResult } from '@duckdb/node-api';
import type { Storage, StoredEvent } from '../storage/storage.js';
import { loadDuckDB } from './duckdb-loader.js';
import { fromDuckDBError } from './query-error.js';
import { planQuery, type TopicBounds } from './query-plan.js';
import { TopicTable } from './topic-table.js';

/**
 * Turns stored values into what queries see (decompress, decrypt, decode): a processor chain, per topic. Events
 * it rejects are left out and counted.
 */
export type ValueDecoder = (events: StoredEvent[]) => Promise<{ events: StoredEvent[]; rejected: number }>;

export interface QueryOptions {
  /**
   * How late an event may be stored after its event time, ms, for an upper bound on `ts` to be pushed down
   * to the stored-time read. Default: unbounded (an upper bound on `ts` reads to the end of the topic, so no
   * late event is missed). Bounds on `stored` are pushed down exactly.
   */
  lateness?: number;
  /**
   * How far an event time may be ahead of the time it was stored, ms, for a lower bound on `ts` to be pushed
   * down. Default {@link DEFAULT_CLOCK_SKEW_MS}.
   */
  clockSkew?: number;
  /** Topics whose rows get the dead-letter columns; default: topics named `*.dlq`. */
  deadLetterTopics?: Iterable<string>;
  /** Decoders by topic, for values stored encoded. */
  decoders?: ReadonlyMap<string, ValueDecoder>;
  /** Events per storage page; default the storage's own. */
  pageSize?: number;
}

/** One minute: event times a source stamps on a clock a little ahead of the storage's. */
export const DEFAULT_CLOCK_SKEW_MS = 60_000;

export interface QueryColumn {
  name: string;
  /** DuckDB's type name: VARCHAR, BIGINT, DOUBLE, TIMESTAMP WITH TIME ZONE, JSON … */
  type: string;
}

export type QueryRow = Record<string, unknown>;

export interface QueryStats {
  /** Stored events read from storage, per topic: what pushdown saves. */
  entriesRead: Record<string, number>;
  /** Events a topic's decoder rejected, left out of its table. */
  undecodable: Record<string, number>;
  /** The stored-time range read per topic (ms, inclusive; absent: unbounded). */
  ranges: Record<string, { fromTime?: number; toTime?: number }>;
}

export interface QueryResult {
  readonly columns: QueryColumn[];
  readonly stats: QueryStats;
  /** Rows in chunks as DuckDB produces them; JSON columns parsed, BIGINTs as numbers when exact. */
  chunks(): AsyncIterable<QueryRow[]>;
  /** Every row (for small results; large ones stream through `chunks`). */
  all(): Promise<QueryRow[]>;
  close(): void;
}

/** Runs one SELECT statement over the topics of `storage`. Close the result when done with it. */
export async function query(storage: Storage, sql: string, options: QueryOptions = {}): Promise<QueryResult> {
  return queryPages(sql, await storage.listTopics(), options, (topic, bounds) =>
    storage.scan(topic, { ...storedRange(bounds, options), pageSize: options.pageSize }),
  );
}

/** Where the rows of a topic's table come from, given what the statement needs of its time range. */
export type PageSource = (topic: string, bounds: TopicBounds) => AsyncIterable<StoredEvent[]>;

/**
 * Runs one SELECT statement over tables filled from `pages` (a storage scan, or the events of one window).
 * `topics` are the names a statement may use.
 */
export async function queryPages(
  sql: string,
  topics: readonly string[],
  options: QueryOptions,
  pages: PageSource,
): Promise<QueryResult> {
  const duck = await loadDuckDB();
  const instance = await duck.DuckDBInstance.create(':memory:', {
    enable_external_access: 'false',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  let connection: DuckDBConnection | undefined;
  try {
    connection = await instance.connect();
    await connection.run(`SET TimeZone = 'UTC'`);
    await connection.run('SET lock_configuration = true');
    const plan = await planQuery(connection, sql, topics);
    const stats: QueryStats = { entriesRead: {}, undecodable: {}, ranges: {} };
    const deadLetter = new Set(options.deadLetterTopics ?? []);
    for (const [topic, bounds] of plan.topics) {
      stats.ranges[topic] = storedRange(bounds, options);
      const isDeadLetter = options.deadLetterTopics ? deadLetter.has(topic) : topic.endsWith('.dlq');
      const table = await TopicTable.create(duck, connection, topic, isDeadLetter);
      const decode = options.decoders?.get(topic);
      let read = 0;
      let undecodable = 0;
      for await (const page of pages(topic, bounds)) {
        read += page.length;
        if (!decode) {
          table.append(page);
          continue;
        }
        const decoded = await decode(page);
        undecodable += decoded.rejected;
        table.append(decoded.events);
      }
      table.close();
      stats.entriesRead[topic] = read;
      if (decode) stats.undecodable[topic] = undecodable;
    }
    const columns = await describe(connection, sql);
    const result = await connection.stream(sql).catch((err) => {
      throw fromDuckDBError(sql, err);
    });
    return new StreamedResult(instance, connection, result, columns, stats);
  } catch (err) {
    connection?.closeSync();
    instance.closeSync();
    throw err;
  }
}

/** The stored-time range that holds every event the bounds can match. */
export function storedRange(bounds: TopicBounds, options: QueryOptions): { fromTime?: number; toTime?: number } {
  const { eventTime, storedTime } = bounds;
  const froms: number[] = [];
  const tos: number[] = [];
  if (storedTime.from !== undefined) froms.push(storedTime.from);
  if (storedTime.to !== undefined) tos.push(storedTime.to);
  if (eventTime.from !== undefined) froms.push(eventTime.from - (options.clockSkew ?? DEFAULT_CLOCK_SKEW_MS));
  if (eventTime.to !== undefined && options.lateness !== undefined) tos.push(eventTime.to + options.lateness);
  const range: { fromTime?: number; toTime?: number } = {};
  if (froms.length > 0) range.fromTime = Math.floor(Math.max(...froms));
  if (tos.length > 0) range.toTime = Math.ceil(Math.min(...tos));
  return range;
}

async function describe(connection: DuckDBConnection, sql: string): Promise<QueryColumn[]> {
  try {
    const reader = await connection.runAndReadAll(`DESCRIBE ${sql}`);
    return reader.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  } catch (err) {
    throw fromDuckDBError(sql, err);
  }
}

class StreamedResult implements QueryResult {
  private closed = false;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly result: DuckDBResult,
    readonly columns: QueryColumn[],
    readonly stats: QueryStats,
  ) {}

  async *chunks(): AsyncGenerator<QueryRow[]> {
    const json = this.columns.map((c) => c.type === 'JSON');
    const names = this.columns.map((c) => c.name);
    try {
      for await (const rows of this.result.yieldRowsJs()) {
        yield rows.map((row) => {
          const out: QueryRow = {};
          for (let i = 0; i < names.length; i++) out[names[i]] = plain(row[i], json[i]);
          return out;
        });
      }
    } finally {
      this.close();
    }
  }

  async all(): Promise<QueryRow[]> {
    const rows: QueryRow[] = [];
    for await (const chunk of this.chunks()) rows.push(...chunk);
    return rows;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** A DuckDB value as plain data: exact BIGINTs as numbers, times as ISO text, JSON parsed. */
function plain(value: unknown, isJson: boolean): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return isJson ? JSON.parse(value) : value;
  if (Array.isArray(value)) return value.map((v) => plain(v, false));
  if (typeof value === 'object' && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v, false)]));
  }
  return value;
}
