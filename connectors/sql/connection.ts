// What the sql source and sink share: the connection fields of their config and the one place a knex instance
// (pool, driver options, session settings) is built. Sessions always run in UTC with ISO dates, so that
// timestamps read as text compare and convert the same way on every connection.
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { FatalError } from '../../core/errors.js';
import { MAX_TIMER_MS, type PluginContext, secret, z } from '../../core/plugin.js';
import { rememberDatabaseMessage } from './classify-error.js';
import type { Dialect } from './identifiers.js';
import { withWriteLock } from './sqlite-write-lock.js';

export const connectionFields = {
  client: z
    .enum(['pg', 'mysql2', 'better-sqlite3'])
    .describe('Database driver: pg (PostgreSQL), mysql2 (MySQL and MariaDB) or better-sqlite3 (SQLite).'),
  connection: secret(
    z
      .string()
      .min(1)
      .describe(
        'Connection URL (postgres://user:pass@host:5432/db, mysql://user:pass@host:3306/db) or, for ' +
          'better-sqlite3, a database file path (relative to the pipeline file) or :memory:.',
      ),
  ),
  pool: z
    .object({
      min: z.number().int().min(0).default(0).describe('Connections kept open when idle.'),
      max: z.number().int().min(1).default(4).describe('Most connections open at once (SQLite always uses 1).'),
      acquireTimeoutMs: z
        .number()
        .int()
        .max(MAX_TIMER_MS)
        .positive()
        .default(10_000)
        .describe('How long to wait for a connection (pool full or database down) before the attempt fails.'),
      idleTimeoutMs: z
        .number()
        .int()
        .max(MAX_TIMER_MS)
        .positive()
        .default(30_000)
        .describe('Close connections idle this long.'),
    })
    .prefault({})
    .describe('Connection pool limits.'),
  statementTimeoutMs: z
    .number()
    .int()
    .positive()
    .max(MAX_TIMER_MS)
    .default(60_000)
    .describe(
      'PostgreSQL: longest wait for one statement, ms. The server cancels a longer one, the call fails (retried) ' +
        'even when the server or the network falls silent, and a transaction whose client went silent is ended so ' +
        'that its locks are released.',
    ),
};

const connectionObject = z.object(connectionFields);
export type ConnectionConfig = z.output<typeof connectionObject>;

/** How wide numbers are read: as exact strings, or as numbers when that loses nothing. */
export interface NumberReading {
  bigintAs: 'string' | 'number';
  decimalAs: 'string' | 'number';
}

export interface Database {
  readonly dialect: Dialect;
  readonly knex: Knex;
  /** Where the data lives, for messages: `PostgreSQL database "app" on db:5432`. Never holds credentials. */
  readonly label: string;
  /** Runs a write: in turn with other writes to the same SQLite file in this process, at once otherwise. */
  write<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

interface PgTypes {
  getTypeParser(oid: number, format?: string): (text: string) => unknown;
}

// PostgreSQL type oids read as their exact text: date, time, timestamps and intervals (a JS Date would lose
// microseconds and shift zone-less values by the host's zone), int8 and numeric (wider than a double).
const PG_TEXT_OIDS = new Set([1082, 1083, 1114, 1184, 1186, 1266]);
const PG_INT8 = 20;
const PG_NUMERIC = 1700;

/** A number when the text is an integer a double holds exactly, else the text unchanged. */
export function exactInteger(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) && String(n) === text.replace(/^(-?)0+(?=\d)/, '$1') ? n : text;
}

/** A number for a decimal text when asked; NaN and infinities stay text (JSON has no place for them). */
export function decimalNumber(text: string): number | string {
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

function pgTypeParsers(numbers: NumberReading): { getTypeParser: PgTypes['getTypeParser'] } {
  const pgTypes = (require('pg') as { types: PgTypes }).types;
  const asText = (text: string) => text;
  return {
    getTypeParser(oid, format) {
      if (format === 'binary') return pgTypes.getTypeParser(oid, format);
      if (PG_TEXT_OIDS.has(oid)) return asText;
      if (oid === PG_INT8) return numbers.bigintAs === 'number' ? exactInteger : asText;
      if (oid === PG_NUMERIC) return numbers.decimalAs === 'number' ? decimalNumber : asText;
      return pgTypes.getTypeParser(oid, format);
    },
  };
}

const DIALECT_NAMES: Record<Dialect, string> = {
  pg: 'PostgreSQL',
  mysql2: 'MySQL/MariaDB',
  'better-sqlite3': 'SQLite',
};

/** Names the database without credentials. */
export function describeDatabase(client: Dialect, connection: string, baseDir = '.'): string {
  if (client === 'better-sqlite3') {
    return `SQLite database ${connection === ':memory:' ? ':memory:' : sqliteFile(connection, baseDir)}`;
  }
  try {
    const url = new URL(connection);
    const db = decodeURIComponent(url.pathname.replace(/^\//, ''));
    const where = url.host === '' ? '' : ` on ${url.host}`;
    return `${DIALECT_NAMES[client]} database${db ? ` "${db}"` : ''}${where}`;
  } catch {
    return `${DIALECT_NAMES[client]} database`;
  }
}

function sqliteFile(connection: string, baseDir: string): string {
  const path = connection.replace(/^sqlite:(\/\/)?/, '');
  return path === ':memory:' || isAbsolute(path) ? path : resolve(baseDir, path);
}

type AfterCreate = (
  connection: unknown,
  done: (err: Error | null, connection: unknown) => void,
  config: ConnectionConfig,
) => void;

// Session settings every pooled connection gets before its first query.
interface PgClient {
  readyForQuery?: boolean;
  connection: { on(event: 'readyForQuery', listener: (message: { status: string }) => void): void };
  [TRANSACTION_STATUS]?: string;
}

const TRANSACTION_STATUS = Symbol('sluice.pgTransactionStatus');

// The server says with every ReadyForQuery whether the session is idle (I), in a transaction (T) or in a
// failed one (E); pg keeps no copy of it.
function trackTransactionStatus(client: PgClient): void {
  client.connection.on('readyForQuery', ({ status }) => {
    client[TRANSACTION_STATUS] = status;
  });
}

function isIdlePgConnection(conn: unknown): boolean {
  const client = conn as PgClient;
  return client.readyForQuery === true && client[TRANSACTION_STATUS] === 'I';
}

const sessionSetup: Record<Dialect, AfterCreate> = {
  pg: (conn, done, { statementTimeoutMs }) => {
    trackTransactionStatus(conn as PgClient);
    // A transaction left open by a client that went silent holds its row locks: the server ends it.
    const idleInTransaction = Math.min(statementTimeoutMs * 2, MAX_TIMER_MS);
    (conn as { query(sql: string, cb: (err: Error | null) => void): void }).query(
      `SET TIME ZONE 'UTC'; SET datestyle TO ISO, YMD; SET statement_timeout = ${statementTimeoutMs}; ` +
        `SET idle_in_transaction_session_timeout = ${idleInTransaction}`,
      (err) => done(err, conn),
    );
  },
  // mysql2 escapes values client-side with backslashes: NO_BACKSLASH_ESCAPES would turn `\'` into a quote
  // that ends the string, so it is removed from this session's sql_mode whatever the server's default is.
  mysql2: (conn, done) => {
    (conn as { query(sql: string, cb: (err: Error | null) => void): void }).query(
      "SET time_zone = '+00:00', sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '')",
      (err) => done(err, conn),
    );
  },
  'better-sqlite3': (conn, done) => done(null, conn),
};

export interface OpenOptions {
  numbers?: NumberReading;
}

/**
 * Builds the knex instance (no connection is opened until the first query). The drivers are optional
 * dependencies of Sluice, as they are of knex, so a deployment installs only the one it uses: a missing one is
 * a fatal error that names the package to install.
 */
export function openDatabase(
  config: ConnectionConfig,
  ctx: Pick<PluginContext, 'baseDir' | 'logger'>,
  options: OpenOptions = {},
) {
  try {
    return buildDatabase(config, ctx, options);
  } catch (err) {
    if (/Cannot find (module|package) '?(pg|mysql2|better-sqlite3)\b/.test((err as Error).message)) {
      throw new FatalError(
        `the sql connector with client: ${config.client} needs the npm package ${config.client}, which is not installed; install it beside sluice: npm install ${config.client}`,
        { code: 'E_MISSING_PACKAGE', cause: err },
      );
    }
    throw err;
  }
}

function buildDatabase(
  config: ConnectionConfig,
  ctx: Pick<PluginContext, 'baseDir' | 'logger'>,
  options: OpenOptions = {},
) {
  const numbers = options.numbers ?? { bigintAs: 'string', decimalAs: 'string' };
  const dialect: Dialect = config.client;
  const isSqlite = dialect === 'better-sqlite3';
  const pool: Knex.PoolConfig = {
    min: isSqlite ? 1 : config.pool.min,
    max: isSqlite ? 1 : config.pool.max,
    idleTimeoutMillis: config.pool.idleTimeoutMs,
    afterCreate: (conn: unknown, done: (err: Error | null, conn: unknown) => void) =>
      sessionSetup[dialect](conn, done, config),
    // A pg connection whose statement timed out on a silent network may still wait for the answer, or have
    // got it inside a transaction nobody will end: only an idle one goes back into use.
    validate: dialect === 'pg' ? isIdlePgConnection : undefined,
  };
  let connection: Knex.Config['connection'];
  if (dialect === 'pg') {
    connection = {
      connectionString: config.connection,
      types: pgTypeParsers(numbers),
      // Settles the call when the server or the network falls silent; the server-side statement_timeout
      // (set per session) answers first when the server is alive.
      query_timeout: Math.min(config.statementTimeoutMs + 5_000, MAX_TIMER_MS),
    } as Knex.PgConnectionConfig;
  } else if (dialect === 'mysql2') {
    connection = {
      uri: config.connection,
      charset: 'utf8mb4',
      // Exact text for DATETIME/TIMESTAMP (microseconds kept), BIGINT and DECIMAL.
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      // Never expand a bound object into `a = 1, b = 2`: objects are always bound as one text value.
      stringifyObjects: true,
      timezone: 'Z',
      connectTimeout: config.pool.acquireTimeoutMs,
    } as Knex.MySql2ConnectionConfig;
  } else {
    connection = {
      filename: sqliteFile(config.connection, ctx.baseDir),
      // 64-bit integers come back as BigInt and are narrowed exactly by the type mapping.
      options: { safeIntegers: true },
    } as Knex.Sqlite3ConnectionConfig;
  }
  const knex = knexFactory({
    client: dialect,
    connection,
    pool,
    acquireConnectionTimeout: config.pool.acquireTimeoutMs,
    useNullAsDefault: isSqlite,
    // Error messages carry the SQL with placeholders, never the bound values (which may be personal data).
    compileSqlOnError: false,
    // knex reports failed connection attempts itself; they are expected while a database restarts, and the
    // error the caller gets is what counts.
    log: {
      warn: (message: unknown) => ctx.logger.debug({ knex: String(message) }, 'knex warning'),
      error: (message: unknown) => ctx.logger.debug({ knex: String(message) }, 'knex error'),
      debug: () => {},
      deprecate: () => {},
    },
  });
  knex.on('query-error', (err: unknown, query: { sql?: string }) => rememberDatabaseMessage(err, query.sql));
  const file = isSqlite ? sqliteFile(config.connection, ctx.baseDir) : undefined;
  // Each :memory: database is its own: nothing to share a lock with.
  const lockKey = file === undefined || file === ':memory:' ? undefined : `sqlite:${file}`;
  const database: Database = {
    dialect,
    knex,
    label: describeDatabase(dialect, config.connection, ctx.baseDir),
    write: (fn) => (lockKey === undefined ? fn() : withWriteLock(lockKey, fn)),
    close: () => knex.destroy(),
  };
  return database;
}
