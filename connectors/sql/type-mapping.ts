// How database values become event values (source) and event values become bound parameters and column
// types (sink). Reading keeps two forms of a row: the exact form (driver text for timestamps, integers narrowed
// only when exact) that cursors compare and store, and the event form (ISO timestamps, parsed JSON).
import { valueToJson } from '../../core/event.js';
import { decimalNumber, exactInteger, type NumberReading } from './connection.js';
import type { Dialect } from './identifiers.js';

// ---- reading ----

type ReadKind = 'timestamp' | 'bigint' | 'decimal' | 'json' | 'plain';

/** Field metadata as the drivers report it: pg `dataTypeID`, mysql2 `columnType`; SQLite reports none. */
export interface DriverField {
  name: string;
  dataTypeID?: number;
  columnType?: number;
}

const PG_TIMESTAMPS = new Set([1114, 1184]);
const MYSQL_TIMESTAMPS = new Set([7, 12]); // TIMESTAMP, DATETIME
const MYSQL_LONGLONG = 8;
const MYSQL_DECIMALS = new Set([0, 246]); // DECIMAL, NEWDECIMAL
// Types whose values the drivers (as connection.ts sets them up) give as text, finite numbers, booleans or bytes,
// never as a Date, an array or NaN: a row's columns of these types need no look on the way to an event value.
const PG_PLAIN = new Set([16, 17, 18, 19, 20, 21, 23, 25, 26, 1042, 1043, 1700, 2950]);
const MYSQL_PLAIN = new Set([0, 1, 2, 3, 8, 9, 13, 15, 16, 246, 249, 250, 251, 252, 253, 254]);

export interface RowReader {
  /** JSON-safe values with timestamps as the database wrote them: what cursors compare. */
  exact(row: Record<string, unknown>): Record<string, unknown>;
  /** The event value for an exact row. */
  value(exact: Record<string, unknown>): Record<string, unknown>;
}

export interface ReadOptions {
  numbers: NumberReading;
  /** Text columns that hold JSON (SQLite has no JSON type; MySQL and PostgreSQL JSON columns need no listing). */
  jsonColumns: ReadonlySet<string>;
}

function readKind(dialect: Dialect, field: DriverField | undefined, options: ReadOptions, name: string): ReadKind {
  if (options.jsonColumns.has(name)) return 'json';
  if (!field) return 'plain';
  if (dialect === 'pg' && field.dataTypeID !== undefined && PG_TIMESTAMPS.has(field.dataTypeID)) return 'timestamp';
  if (dialect === 'mysql2' && field.columnType !== undefined) {
    if (MYSQL_TIMESTAMPS.has(field.columnType)) return 'timestamp';
    if (field.columnType === MYSQL_LONGLONG) return 'bigint';
    if (MYSQL_DECIMALS.has(field.columnType)) return 'decimal';
  }
  return 'plain';
}

/**
 * A reader for rows of one result; `fields` come from the driver (empty for SQLite). A row that needs no change
 * is returned as it is (the hot path of a large poll allocates nothing per row).
 */
export function rowReader(dialect: Dialect, fields: readonly DriverField[], options: ReadOptions): RowReader {
  const kinds = new Map<string, ReadKind>();
  for (const field of fields) kinds.set(field.name, readKind(dialect, field, options, field.name));
  for (const name of options.jsonColumns) if (!kinds.has(name)) kinds.set(name, 'json');
  const { bigintAs, decimalAs } = options.numbers;
  const narrowed = [...kinds].filter(
    ([, kind]) => (kind === 'bigint' && bigintAs === 'number') || (kind === 'decimal' && decimalAs === 'number'),
  );
  const converted = [...kinds].filter(([, kind]) => kind === 'timestamp' || kind === 'json');
  const isSqlite = dialect === 'better-sqlite3';
  // The columns a row's values are looked at in (every one when the driver tells no types, as SQLite's).
  const looked = fields.length === 0 ? undefined : fields.filter((f) => !isPlain(dialect, f)).map((f) => f.name);
  return {
    exact(row) {
      if (!isSqlite && narrowed.length === 0) return row;
      const out: Record<string, unknown> = { ...row };
      if (isSqlite)
        for (const name in out) if (typeof out[name] === 'bigint') out[name] = exactBigint(out[name] as bigint);
      for (const [name, kind] of narrowed) {
        const v = out[name];
        if (typeof v === 'string') out[name] = kind === 'bigint' ? exactInteger(v) : decimalNumber(v);
      }
      return out;
    },
    value(exact) {
      let out: Record<string, unknown> | undefined;
      for (const name of looked ?? Object.keys(exact)) {
        const v = exact[name];
        if (v instanceof Date || Array.isArray(v) || (typeof v === 'number' && !Number.isFinite(v))) {
          out ??= { ...exact };
          out[name] = plainValue(v);
        }
      }
      for (const [name, kind] of converted) {
        const v = exact[name];
        if (typeof v !== 'string') continue;
        out ??= { ...exact };
        out[name] = kind === 'timestamp' ? timestampToIso(v) : parseJsonText(v);
      }
      return out ?? exact;
    },
  };
}

function isPlain(dialect: Dialect, field: DriverField): boolean {
  if (dialect === 'pg') return field.dataTypeID !== undefined && PG_PLAIN.has(field.dataTypeID);
  if (dialect === 'mysql2') return field.columnType !== undefined && MYSQL_PLAIN.has(field.columnType);
  return false;
}

// SQLite integers are 64-bit: a number when exact, else the digits (never a silently rounded number).
function exactBigint(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : String(v);
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function plainValue(v: unknown): unknown {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (Array.isArray(v)) return v.map(plainValue);
  return v;
}

const DB_TIMESTAMP = /^(\d{4,}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d(?:\.\d+)?)(?:([+-])(\d\d)(?::?(\d\d))?(?::(\d\d))?)?$/;

/**
 * A timestamp as PostgreSQL or MySQL write it (`2024-05-01 10:00:00.123456+00`) as ISO-8601 text with its
 * full precision. Zone-less values are taken as UTC (sessions run in UTC). Anything else (infinity, BC dates,
 * MySQL zero dates) is returned unchanged.
 */
export function timestampToIso(text: string): string {
  const m = DB_TIMESTAMP.exec(text);
  if (!m || m[1].startsWith('0000-')) return text;
  const [, date, time, sign, hh, mm, ss] = m;
  if (sign === undefined || (Number(hh) === 0 && Number(mm ?? 0) === 0 && Number(ss ?? 0) === 0))
    return `${date}T${time}Z`;
  return `${date}T${time}${sign}${hh}:${mm ?? '00'}${ss ? `:${ss}` : ''}`;
}

// ---- writing ----

/** What the sink needs to know about a destination column to bind a value for it. */
export type ColumnKind = 'json' | 'array' | 'datetime' | 'binary' | 'other';

/** The kind of a column from its catalog type (information_schema data_type, SQLite declared type). */
export function columnKind(dialect: Dialect, dataType: string): ColumnKind {
  const t = dataType.toLowerCase();
  if (t === 'json' || t === 'jsonb') return 'json';
  if (dialect === 'pg' && t === 'array') return 'array';
  if (dialect === 'mysql2' && (t === 'datetime' || t === 'timestamp')) return 'datetime';
  if (dialect === 'better-sqlite3' && t.includes('json')) return 'json';
  if (t === 'bytea' || t.endsWith('blob') || t.endsWith('binary')) return 'binary';
  return 'other';
}

const ISO_UTC = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d(?:\.\d{1,6})?)Z$/;
const ISO_ZONED = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/;

// MySQL DATETIME/TIMESTAMP do not read ISO zone suffixes: the value is turned into UTC `YYYY-MM-DD hh:mm:ss.ffffff`.
function mysqlDatetime(value: unknown): unknown {
  if (typeof value === 'string') {
    const utc = ISO_UTC.exec(value);
    if (utc) return `${utc[1]} ${utc[2]}`;
    if (ISO_ZONED.test(value)) return new Date(value).toISOString().replace('T', ' ').replace('Z', '');
    return value;
  }
  if (typeof value === 'number' && Number.isFinite(value))
    return new Date(value).toISOString().replace('T', ' ').replace('Z', '');
  return value;
}

function jsonText(value: unknown): string {
  return JSON.stringify(valueToJson(value)) ?? 'null';
}

/**
 * An event field as a bound parameter for a column of the given kind. Only strings, numbers, booleans,
 * Buffers and null are ever bound: objects and arrays become JSON text (except PostgreSQL array columns),
 * so no driver can expand them into SQL.
 */
export function toBindValue(dialect: Dialect, kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (kind === 'json') return jsonText(value);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (kind === 'array' && Array.isArray(value))
    return value.map((v) => (v !== null && typeof v === 'object' ? jsonText(v) : v));
  if (kind === 'datetime' && dialect === 'mysql2') return mysqlDatetime(value);
  if (typeof value === 'object') return jsonText(value);
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

/** The SQL type chosen for a new column from the values seen. */
export type InferredType = 'integer' | 'float' | 'boolean' | 'text' | 'json' | 'bytes' | 'timestamp';

export function inferType(value: unknown): InferredType | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isSafeInteger(value) ? 'integer' : 'float';
  if (typeof value === 'bigint') return 'integer';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'string') return ISO_ZONED.test(value) ? 'timestamp' : 'text';
  return 'json';
}

/** The type that holds both: integers widen to floats, anything else mixed falls back to text. */
export function mergeTypes(a: InferredType | undefined, b: InferredType | undefined): InferredType | undefined {
  if (a === undefined) return b;
  if (b === undefined || a === b) return a;
  if ((a === 'integer' && b === 'float') || (a === 'float' && b === 'integer')) return 'float';
  return 'text';
}

const SQL_TYPES: Record<Dialect, Record<InferredType, string>> = {
  pg: {
    integer: 'bigint',
    float: 'double precision',
    boolean: 'boolean',
    text: 'text',
    json: 'jsonb',
    bytes: 'bytea',
    timestamp: 'timestamptz',
  },
  mysql2: {
    integer: 'BIGINT',
    float: 'DOUBLE',
    boolean: 'BOOLEAN',
    text: 'LONGTEXT',
    json: 'JSON',
    bytes: 'LONGBLOB',
    timestamp: 'DATETIME(6)',
  },
  'better-sqlite3': {
    integer: 'INTEGER',
    float: 'REAL',
    boolean: 'INTEGER',
    text: 'TEXT',
    json: 'JSON',
    bytes: 'BLOB',
    timestamp: 'TEXT',
  },
};

/**
 * Column type for DDL. JSON has one number type: `60.0` arrives as 60 and the next event may say 60.5, so a
 * number column is a double (exact for integers up to 2^53, all a JSON number holds exactly) unless it is a key
 * column, where integers are identifiers. MySQL cannot index unbounded text or blobs, so key columns get
 * bounded types there.
 */
export function sqlType(dialect: Dialect, type: InferredType | undefined, isKey: boolean): string {
  const inferred = type ?? 'text';
  const t = inferred === 'integer' && !isKey ? 'float' : inferred;
  if (dialect === 'mysql2' && isKey) {
    if (t === 'text' || t === 'json') return 'VARCHAR(255)';
    if (t === 'bytes') return 'VARBINARY(255)';
  }
  return SQL_TYPES[dialect][t];
}
