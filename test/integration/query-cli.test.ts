// `sluice query` against topics stored in the machine's Redis: the numbers it prints equal those computed
// here from the same events, in every output format, and a bad query exits 2 with its position.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent } from '../../core/event.js';
import { RedisStorage } from '../../core/storage/redis.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';
import { runCli } from '../harness/run-cli.js';

// Each run starts a process that loads TypeScript and DuckDB: generous limits, for a busy machine.
const cli = (args: string[]) => runCli(args, { timeoutMs: 180_000 });

let redis: Redis;
let storage: RedisStorage;
const prefix = uniquePrefix('query');
const admin = ['--redis', TEST_REDIS_URL, '--prefix', prefix];
const T0 = Date.UTC(2026, 5, 1);
const speeds = Array.from({ length: 200 }, (_, i) => ({ car: `car-${i % 4}`, speed: (i * 7) % 90 }));

beforeAll(async () => {
  redis = await connectTestRedis();
  storage = await RedisStorage.connect({ url: TEST_REDIS_URL, prefix });
  await storage.ensureTopic({ name: 'gps', partitions: 4 });
  await storage.append(
    'gps',
    speeds.map((v, i) => createEvent({ key: v.car, value: v, ts: T0 + i * 1000 })),
  );
  await storage.ensureTopic({ name: 'gps.dlq', partitions: 1 });
  await storage.append('gps.dlq', [
    createEvent({
      key: 'car-9',
      value: 'not json',
      ts: T0,
      headers: {
        'sluice-error': 'value is not JSON: Unexpected token',
        'sluice-error-code': 'E_JSON',
        'sluice-component': 'pipelines.gps.processors[0] (json)',
        'sluice-attempts': '1',
        'sluice-source-topic': 'gps-raw',
        'sluice-pipeline': 'gps',
      },
    }),
  ]);
});
afterAll(async () => {
  await storage?.close();
  await deleteKeysWithPrefix(redis, prefix);
  redis?.disconnect();
});

function expectedAverages() {
  const by = new Map<string, number[]>();
  for (const s of speeds) by.set(s.car, [...(by.get(s.car) ?? []), s.speed]);
  return [...by]
    .sort()
    .map(([car, list]) => ({ key: car, n: list.length, avg: list.reduce((a, b) => a + b) / list.length }));
}

describe('sluice query', { timeout: 600_000 }, () => {
  const sql = `SELECT key, count(*) AS n, avg((value->>'speed')::DOUBLE) AS avg FROM gps GROUP BY key ORDER BY key`;

  it('prints per-key averages equal to those computed from the events, as NDJSON, JSON and CSV', async () => {
    const ndjson = await cli(['query', sql, ...admin, '--format', 'ndjson']);
    expect(ndjson.stderr).toBe('');
    expect(ndjson.code).toBe(0);
    const rows = ndjson.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toEqual(expectedAverages());

    const json = await cli(['query', sql, ...admin, '--format', 'json']);
    expect(JSON.parse(json.stdout)).toEqual(expectedAverages());

    const csv = await cli(['query', sql, ...admin, '--format', 'csv']);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toBe('key,n,avg');
    expect(lines.slice(1)).toEqual(expectedAverages().map((r) => `${r.key},${r.n},${r.avg}`));

    const table = await cli(['query', sql, ...admin, '--format', 'table']);
    expect(table.stdout).toMatch(/^key\s+n\s+avg\n-+\s+-+\s+-+\ncar-0\s+50\s+/);
    expect(table.stdout).toMatch(/\(4 rows\)\n$/);
  });

  it('shows a dead-letter topic with its reason, code, component, attempts and origin as columns', async () => {
    const r = await cli([
      'query',
      'SELECT key, reason, code, component, attempts, origin, value FROM "gps.dlq"',
      ...admin,
      '--format',
      'ndjson',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      key: 'car-9',
      reason: 'value is not JSON: Unexpected token',
      code: 'E_JSON',
      component: 'pipelines.gps.processors[0] (json)',
      attempts: 1,
      origin: 'gps-raw',
      value: 'not json',
    });
  });

  it('exits 2 with the line and column of a bad query', async () => {
    const r = await cli(['query', 'SELECT key\nFROM gps\nGROUP key', ...admin]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/query at line 3, column 7: syntax error at or near "key"/);
    const unknown = await cli(['query', 'SELECT * FROM gpx', ...admin]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/there is no topic "gpx"/);
  });
});
