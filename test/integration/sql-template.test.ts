// templates/pipelines/sql-to-sql.yaml run as its header says: MariaDB → PostgreSQL with `sluice run`.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../harness/run-cli.js';
import { createTestDatabase, rows, type TestDatabase } from '../harness/sql-databases.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  probe: () => Promise<T>,
  isDone: (v: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await probe();
      if (isDone(last)) return last;
    } catch {
      // the table may not exist yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await sleep(200);
  }
}

describe('the sql-to-sql template', () => {
  let source: TestDatabase;
  let target: TestDatabase;

  beforeAll(async () => {
    source = await createTestDatabase('mysql2', 'sluice_tpl_src');
    target = await createTestDatabase('pg', 'sluice_tpl_dst');
    await source.knex.raw(
      'CREATE TABLE customers (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, ' +
        'balance DECIMAL(12,2) NOT NULL DEFAULT 0, ' +
        'updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6), ' +
        'INDEX customers_updated (updated_at, id))',
    );
    const values = Array.from({ length: 500 }, (_, i) => [`customer ${i}`, (i * 1.25).toFixed(2)]);
    await source.knex.raw(
      `INSERT INTO customers (name, balance) VALUES ${values.map(() => '(?, ?)').join(', ')}`,
      values.flat(),
    );
  });
  afterAll(async () => {
    await source?.drop();
    await target?.drop();
  });

  it('copies a MariaDB table into PostgreSQL, then its updates, new rows and a new column', async () => {
    let child: ChildProcess | undefined;
    const run = runCli(['run', 'templates/pipelines/sql-to-sql.yaml'], {
      env: {
        SOURCE_DATABASE_URL: source.url,
        TARGET_DATABASE_URL: target.url,
        VISIBILITY_DELAY_MS: '1000',
        POLL_INTERVAL_MS: '200',
      },
      timeoutMs: 90_000,
      onSpawn: (c) => {
        child = c;
      },
    });
    try {
      const count = () =>
        rows<{ n: string }>(target.knex, 'SELECT COUNT(*) AS n FROM customers').then((r) => Number(r[0].n));
      await until('500 rows in PostgreSQL', count, (n) => n === 500);
      const [first] = await rows<Record<string, unknown>>(target.knex, 'SELECT * FROM customers WHERE id = 2');
      expect(first).toMatchObject({ id: '2', name: 'customer 1', balance: '1.25' });
      expect(first.updated_at).toBeInstanceOf(Date); // created as timestamptz from the ISO text

      await source.knex.raw("UPDATE customers SET name = CONCAT(name, ' (moved)') WHERE id <= 10");
      await source.knex.raw('ALTER TABLE customers ADD COLUMN tier VARCHAR(10) NULL');
      await source.knex.raw("INSERT INTO customers (name, tier) VALUES ('new 1', 'gold'), ('new 2', 'silver')");
      await until('the new rows', count, (n) => n === 502);
      const moved = await until(
        'the updates',
        () => rows<{ name: string }>(target.knex, "SELECT name FROM customers WHERE name LIKE '%(moved)'"),
        (r) => r.length === 10,
      );
      expect(moved).toHaveLength(10);
      const tiers = await rows<{ name: string; tier: string }>(
        target.knex,
        'SELECT name, tier FROM customers WHERE tier IS NOT NULL ORDER BY id',
      );
      expect(tiers).toEqual([
        { name: 'new 1', tier: 'gold' },
        { name: 'new 2', tier: 'silver' },
      ]);
    } finally {
      child?.kill('SIGINT');
    }
    const result = await run;
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/"level":(50|60)/);
  }, 120_000);
});
