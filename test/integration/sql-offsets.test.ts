// The sql source's cursor is its checkpoint: `sluice offsets` shows it, sets it and resets it on a running fleet.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SluiceProcess, waitFor } from '../harness/fleet.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';
import { runCli } from '../harness/run-cli.js';
import { createTestDatabase, type TestDatabase } from '../harness/sql-databases.js';

let redis: Redis;
let db: TestDatabase;
const prefix = uniquePrefix('sqloffsets');

beforeAll(async () => {
  redis = await connectTestRedis();
  db = await createTestDatabase('pg', 'sluice_offsets');
  await db.knex.raw('CREATE TABLE orders (id bigserial PRIMARY KEY, item text NOT NULL)');
  await db.knex.raw(`INSERT INTO orders (item) SELECT 'item ' || n FROM generate_series(1, 20) AS n`);
});
afterAll(async () => {
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
  await db?.drop();
});

const lines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);

describe('sql source checkpoints with sluice offsets', () => {
  it('shows the cursor, and a set or reset cursor makes the source read again from there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-sql-offsets-'));
    const out = join(dir, 'out.ndjson');
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      `redis: { url: "${TEST_REDIS_URL}", prefix: "${prefix}" }
pipelines:
  orders-in:
    source:
      type: sql
      client: pg
      connection: "${db.url}"
      table: orders
      mode: incrementing
      incrementingColumn: id
      bigintAs: number
      visibilityDelayMs: 0
      intervalMs: 200
    topic: orders
    sinks:
      - { type: file, name: archive, file: "${out}" }
`,
    );
    const worker = SluiceProcess.start(['worker', file], join(dir, 'worker.log'));
    const admin = ['--redis', TEST_REDIS_URL, '--prefix', prefix];
    try {
      await waitFor(() => lines(out).length === 20, 60_000, 'the 20 rows');
      const shown = await runCli(['offsets', 'orders', ...admin]);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toContain('source orders-in: {"mode":"incrementing","incrementing":20}');

      const set = await runCli([
        'offsets',
        'orders',
        '--set-source',
        'orders-in={"mode":"incrementing","incrementing":15}',
        ...admin,
      ]);
      expect(set.code).toBe(0);
      await waitFor(() => lines(out).length === 25, 60_000, 'rows 16 to 20 again');
      const again = lines(out)
        .slice(20)
        .map((l) => (JSON.parse(l) as { value: { id: number } }).value.id)
        .sort((a, b) => a - b); // events without a key spread over partitions
      expect(again).toEqual([16, 17, 18, 19, 20]);

      const reset = await runCli(['offsets', 'orders', '--reset-source', 'orders-in', ...admin]);
      expect(reset.code).toBe(0);
      await waitFor(() => lines(out).length === 45, 60_000, 'all rows from the beginning');
    } finally {
      worker.kill('SIGTERM');
      await worker.exited;
    }
  }, 180_000);
});
