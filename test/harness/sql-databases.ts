// Real databases for the sql connector tests: a unique database per test file on the machine's PostgreSQL
// (127.0.0.1:5432, postgres, trust) and MariaDB (127.0.0.1:3306, root, no password), dropped afterwards, and a
// fresh SQLite file. A missing server fails the test loudly; nothing here stops or reconfigures those servers.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll } from 'vitest';
import type { PluginContext, StateStore } from '../../core/plugin.js';
import { detachedPluginMetrics } from '../../core/runtime/plugin-metrics.js';

export type Client = 'pg' | 'mysql2' | 'better-sqlite3';
export const CLIENTS: Client[] = ['pg', 'mysql2', 'better-sqlite3'];

export const PG_ADMIN_URL = process.env.SLUICE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const MYSQL_ADMIN_URL = process.env.SLUICE_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';

export interface TestDatabase {
  client: Client;
  /** Connection string for the connector config. */
  url: string;
  /** A knex handle for setting up and checking data. */
  knex: Knex;
  drop(): Promise<void>;
}

function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function createTestDatabase(client: Client, prefix = 'sluice_sql'): Promise<TestDatabase> {
  if (client === 'better-sqlite3') {
    const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    const file = join(dir, 'test.db');
    const knex = knexFactory({ client, connection: { filename: file }, useNullAsDefault: true });
    await knex.raw('PRAGMA journal_mode = WAL');
    return {
      client,
      url: file,
      knex,
      async drop() {
        await knex.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = uniqueName(prefix);
  const adminUrl = client === 'pg' ? PG_ADMIN_URL : MYSQL_ADMIN_URL;
  const admin = knexFactory({ client, connection: client === 'pg' ? adminUrl : { uri: adminUrl } });
  try {
    await admin.raw(client === 'pg' ? `CREATE DATABASE "${name}"` : `CREATE DATABASE \`${name}\``);
  } catch (err) {
    await admin.destroy();
    throw new Error(
      `cannot create a test database on ${client === 'pg' ? 'PostgreSQL' : 'MariaDB'}: ${(err as Error).message}`,
    );
  }
  const url = withDatabase(adminUrl, name);
  const knex = knexFactory({
    client,
    connection:
      client === 'pg'
        ? url
        : ({
            uri: url,
            dateStrings: true,
            supportBigNumbers: true,
            bigNumberStrings: true,
          } as Knex.MySql2ConnectionConfig),
    pool: { min: 0, max: 8 },
  });
  return {
    client,
    url,
    knex,
    async drop() {
      await knex.destroy();
      if (client === 'pg') await admin.raw(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      else await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.destroy();
    },
  };
}

class MemoryState implements StateStore {
  private readonly values = new Map<string, string>();
  async get(key: string) {
    return this.values.get(key);
  }
  async set(key: string, value: string) {
    this.values.set(key, value);
  }
  async setIfAbsent(key: string, value: string) {
    if (this.values.has(key)) return false;
    this.values.set(key, value);
    return true;
  }
  async delete(key: string) {
    this.values.delete(key);
  }
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export function testContext(pipeline = 'test', baseDir = process.cwd()): PluginContext {
  return {
    pipeline,
    component: 'sql',
    logger: silent,
    signal: new AbortController().signal,
    state: new MemoryState(),
    mode: 'embedded',
    baseDir,
    metrics: detachedPluginMetrics({ plugin: 'sql', pipeline, component: 'sql' }),
  };
}

/** SQL types per client for test tables. */
export const TYPES: Record<
  Client,
  {
    id: string;
    ts: string;
    tsDefault: string;
    text: string;
    json: string;
    bytes: string;
    bigint: string;
    decimal: string;
  }
> = {
  pg: {
    id: 'bigserial PRIMARY KEY',
    ts: 'timestamp(6)',
    tsDefault: 'clock_timestamp()',
    text: 'text',
    json: 'jsonb',
    bytes: 'bytea',
    bigint: 'bigint',
    decimal: 'numeric(30,10)',
  },
  mysql2: {
    id: 'BIGINT AUTO_INCREMENT PRIMARY KEY',
    ts: 'DATETIME(6)',
    tsDefault: 'NOW(6)',
    text: 'TEXT',
    json: 'JSON',
    bytes: 'BLOB',
    bigint: 'BIGINT',
    decimal: 'DECIMAL(30,10)',
  },
  'better-sqlite3': {
    id: 'INTEGER PRIMARY KEY AUTOINCREMENT',
    ts: 'TEXT',
    tsDefault: "strftime('%Y-%m-%d %H:%M:%f', 'now')",
    text: 'TEXT',
    json: 'JSON',
    bytes: 'BLOB',
    bigint: 'INTEGER',
    decimal: 'TEXT',
  },
};

/** Rows of a raw SELECT whatever the driver's result shape. */
export async function rows<T = Record<string, unknown>>(
  knex: Knex,
  sql: string,
  bindings: unknown[] = [],
): Promise<T[]> {
  const result = (await knex.raw(sql, bindings as Knex.RawBinding[])) as unknown;
  if (Array.isArray(result)) return (Array.isArray(result[0]) ? result[0] : result) as T[];
  return (result as { rows: T[] }).rows;
}

export function quote(client: Client, name: string): string {
  return client === 'mysql2' ? `\`${name}\`` : `"${name}"`;
}

/**
 * A database of the suite's own, created before its tests and dropped after them (call inside `describe`);
 * `count` runs a `SELECT COUNT(*) AS n …` and gives n.
 */
export function suiteDatabase(
  client: Client,
  prefix: string,
): { readonly db: TestDatabase; count(sql: string): Promise<number> } {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(client, prefix);
  });
  afterAll(async () => {
    await db?.drop();
  });
  const created = (): TestDatabase => {
    if (!db) throw new Error(`the ${client} test database "${prefix}" was not created`);
    return db;
  };
  return {
    get db() {
      return created();
    },
    count: async (sql) => Number((await rows<{ n: unknown }>(created().knex, sql))[0].n),
  };
}
