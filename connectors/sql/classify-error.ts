// Driver errors (pg SQLSTATEs, MySQL errnos, SQLite result codes, knex pool timeouts) translated at the
// connector's edge into the three kinds the runtime acts on, with stable codes:
//   record    E_SQL_CONSTRAINT, E_SQL_DATA          this row cannot be written: dead-letter it, go on
//   retryable E_SQL_CONNECTION, E_SQL_CONFLICT, E_SQL  try again later (restart, deadlock, pool timeout)
//   fatal     E_SQL_AUTH, E_SQL_UNKNOWN_DATABASE, E_SQL_MISSING_TABLE, E_SQL_MISSING_COLUMN,
//             E_SQL_PERMISSION, E_SQL_STATEMENT     a person has to fix something
import { FatalError, RecordError, RetryableError, SluiceError } from '../../core/errors.js';

type Category =
  | 'constraint'
  | 'data'
  | 'connection'
  | 'conflict'
  | 'auth'
  | 'unknownDatabase'
  | 'missingTable'
  | 'missingColumn'
  | 'permission'
  | 'statement'
  | 'unknown';

interface DriverError {
  code?: unknown;
  errno?: unknown;
  message?: unknown;
  detail?: unknown;
  name?: unknown;
}

// knex prefixes a driver's message with the statement; the driver's own words are kept here for messages.
const databaseMessages = new WeakMap<object, string>();

export function rememberDatabaseMessage(err: unknown, sql: string | undefined): void {
  if (err === null || typeof err !== 'object' || typeof (err as DriverError).message !== 'string') return;
  const message = (err as { message: string }).message;
  const prefix = sql === undefined ? '' : `${sql} - `;
  databaseMessages.set(err, prefix !== '' && message.startsWith(prefix) ? message.slice(prefix.length) : message);
}

/** The database's own message for an error, without the statement knex put in front of it. */
export function databaseMessage(err: unknown): string {
  if (err !== null && typeof err === 'object') {
    const remembered = databaseMessages.get(err);
    const base = remembered ?? String((err as DriverError).message ?? err);
    const detail = (err as DriverError).detail;
    return typeof detail === 'string' && detail !== '' ? `${base} (${detail})` : base;
  }
  return String(err);
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
]);

function pgCategory(code: string): Category | undefined {
  if (!/^[0-9A-Z]{5}$/.test(code)) return undefined;
  const cls = code.slice(0, 2);
  if (cls === '23') return 'constraint';
  if (cls === '22') return 'data';
  if (code === '40001' || code === '40P01' || code === '55P03') return 'conflict';
  if (cls === '08' || cls === '53' || code === '57P01' || code === '57P02' || code === '57P03' || code === '57014')
    return 'connection';
  if (cls === '28') return 'auth';
  if (code === '3D000') return 'unknownDatabase';
  if (code === '3F000') return 'missingTable';
  if (code === '42P01') return 'missingTable';
  if (code === '42703') return 'missingColumn';
  if (code === '42501') return 'permission';
  if (cls === '42') return 'statement';
  return undefined;
}

const MYSQL_ERRNOS: Record<number, Category> = {
  1062: 'constraint', // duplicate entry
  1586: 'constraint',
  1048: 'constraint', // column cannot be null
  1364: 'constraint', // field has no default value
  1451: 'constraint', // foreign key (parent row)
  1452: 'constraint', // foreign key (child row)
  3819: 'constraint', // check constraint (MySQL)
  4025: 'constraint', // check constraint (MariaDB)
  1406: 'data', // data too long
  1264: 'data', // out of range
  1265: 'data', // data truncated
  1366: 'data', // incorrect value
  1292: 'data', // incorrect datetime
  1367: 'data',
  1411: 'data',
  3140: 'data', // invalid JSON (MySQL)
  1213: 'conflict', // deadlock
  1205: 'conflict', // lock wait timeout
  1045: 'auth',
  1698: 'auth',
  1044: 'permission',
  1142: 'permission',
  1143: 'permission',
  1049: 'unknownDatabase',
  1146: 'missingTable',
  1054: 'missingColumn',
  1064: 'statement',
  1149: 'statement',
  2006: 'connection',
  2013: 'connection',
  1053: 'connection',
  1927: 'connection',
  1040: 'connection',
  1203: 'connection',
};

function sqliteCategory(code: string, message: string): Category | undefined {
  if (!code.startsWith('SQLITE_')) return undefined;
  if (code.startsWith('SQLITE_CONSTRAINT')) return 'constraint';
  if (code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG') return 'data';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'conflict';
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL') return 'connection';
  if (code === 'SQLITE_AUTH' || code === 'SQLITE_PERM' || code.startsWith('SQLITE_READONLY')) return 'permission';
  if (code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'))
    return 'unknownDatabase';
  if (/no such table/i.test(message)) return 'missingTable';
  if (/no such column|has no column named/i.test(message)) return 'missingColumn';
  if (code === 'SQLITE_ERROR') return 'statement';
  return undefined;
}

function categoryOf(err: unknown): Category {
  if (err === null || typeof err !== 'object') return 'unknown';
  const e = err as DriverError;
  const message = typeof e.message === 'string' ? e.message : '';
  if (e.name === 'KnexTimeoutError') return 'connection';
  const code = typeof e.code === 'string' ? e.code : '';
  if (CONNECTION_CODES.has(code)) return 'connection';
  const sqlite = sqliteCategory(code, message);
  if (sqlite) return sqlite;
  if (typeof e.errno === 'number' && MYSQL_ERRNOS[e.errno]) return MYSQL_ERRNOS[e.errno];
  const pg = pgCategory(code);
  if (pg) return pg;
  if (/does not return data/.test(message)) return 'statement';
  if (
    /Connection terminated|Query read timeout|connection (is )?closed|server closed the connection|ended by the other party/i.test(
      message,
    )
  )
    return 'connection';
  return 'unknown';
}

const ADVICE: Record<Category, string> = {
  constraint: '',
  data: '',
  connection: 'the database is unreachable or restarting; retrying',
  conflict: 'a lock conflict (deadlock, serialization failure, busy database); retrying',
  auth: 'check the user and password in `connection`',
  unknownDatabase: 'check the database name (or SQLite file) in `connection`',
  missingTable: 'create the table or fix its name',
  missingColumn: 'add the column or fix its name',
  permission: 'grant this user the privileges it needs on the table',
  statement: 'fix the statement or the names in the config',
  unknown: 'retrying',
};

const CODES: Record<Category, string> = {
  constraint: 'E_SQL_CONSTRAINT',
  data: 'E_SQL_DATA',
  connection: 'E_SQL_CONNECTION',
  conflict: 'E_SQL_CONFLICT',
  auth: 'E_SQL_AUTH',
  unknownDatabase: 'E_SQL_UNKNOWN_DATABASE',
  missingTable: 'E_SQL_MISSING_TABLE',
  missingColumn: 'E_SQL_MISSING_COLUMN',
  permission: 'E_SQL_PERMISSION',
  statement: 'E_SQL_STATEMENT',
  unknown: 'E_SQL',
};

/**
 * True when DDL lost a race with another writer creating the same table or column (`IF NOT EXISTS` does not
 * protect against that in PostgreSQL, which then reports a unique violation on its catalog).
 */
export function isAlreadyExists(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as DriverError;
  const message = String(databaseMessage(err));
  if (e.code === '42P07' || e.code === '42701' || e.code === '42710') return true;
  if (e.code === '23505' && /pg_type|pg_class|pg_namespace/.test(message)) return true;
  if (e.errno === 1050 || e.errno === 1060) return true;
  return /already exists|duplicate column/i.test(message);
}

/** True for errors that concern one row's values (the row goes to the dead-letter topic, the rest go on). */
export function isRowError(err: unknown): boolean {
  const category = categoryOf(err);
  return category === 'constraint' || category === 'data';
}

export function sqlErrorCode(err: unknown): string {
  return CODES[categoryOf(err)];
}

/**
 * Translates a driver error into a SluiceError. `where` names the component and database, for example
 * `sql sink "orders" (PostgreSQL database "app" on db:5432)`.
 */
export function classifySqlError(err: unknown, where: string): SluiceError {
  if (err instanceof SluiceError) return err;
  const category = categoryOf(err);
  const code = CODES[category];
  const advice = ADVICE[category];
  const message = `${where}: ${databaseMessage(err)}${advice ? `; ${advice}` : ''}`;
  const options = { code, cause: err };
  switch (category) {
    case 'constraint':
    case 'data':
      return new RecordError(message, options);
    case 'auth':
    case 'unknownDatabase':
    case 'missingTable':
    case 'missingColumn':
    case 'permission':
    case 'statement':
      return new FatalError(message, options);
    default:
      return new RetryableError(message, options);
  }
}
