// Subscriptions nobody runs, on the machine's Redis: status marks them, `sluice subscriptions delete` removes one
// after a dry run (and refuses one a running pipeline uses), and retention.staleAfter deletes them on its own.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtins } from '../../builtins.js';
import { subscriptionRoutes } from '../../core/admin/subscription-routes.js';
import { openDrivers } from '../../core/cli/drivers.js';
import { loadConfig } from '../../core/config/load.js';
import { Engine } from '../../core/runtime/engine.js';
import { createLogger } from '../../core/runtime/logger.js';
import type { Storage } from '../../core/storage/storage.js';
import { waitFor } from '../harness/fleet.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';
import { runCli } from '../harness/run-cli.js';

let redis: Redis;
let engine: Engine;
let storage: Storage;
let closeDrivers: () => Promise<void>;
const prefix = uniquePrefix('subs');
const admin = ['--redis', TEST_REDIS_URL, '--prefix', prefix];

beforeAll(async () => {
  redis = await connectTestRedis();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-subs-'));
  const file = join(dir, 'p.yaml');
  writeFileSync(
    file,
    `redis: { url: "${TEST_REDIS_URL}", prefix: "${prefix}" }
topics:
  cars: { partitions: 2, retention: { staleAfter: 1h } }
  trucks: { partitions: 2, retention: { staleAfter: 1s } }
pipelines:
  cars:
    source: { type: generate, preset: sequence, count: 5, rate: 0 }
    topic: cars
    sinks: [ { type: file, name: out, file: "${join(dir, 'out.ndjson')}" } ]
`,
  );
  const config = await loadConfig([file], { builtins });
  const logger = createLogger({ level: 'error' });
  const drivers = await openDrivers(config.redis, logger, 'subs-test');
  storage = drivers.storage;
  closeDrivers = drivers.close;
  engine = new Engine({ config, storage, queue: drivers.queue, logger, retentionEveryMs: 200, workerId: 'subs-test' });
  await engine.start();
  await storage.ensureSubscription('cars', 'old.gone', 'beginning');
  await storage.ensureSubscription('trucks', 'old.trucker', 'beginning');
});

afterAll(async () => {
  await engine?.stop(2_000);
  await closeDrivers?.();
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

describe('subscription lifecycle', () => {
  it('deletes a subscription nobody ran for retention.staleAfter, and keeps the running one', async () => {
    await waitFor(async () => (await storage.listSubscriptions('trucks')).length === 0, 30_000, 'old.trucker to go');
    expect(await storage.listSubscriptions('cars')).toEqual(['cars.out', 'old.gone']);
  });

  it('shows a subscription no pipeline uses and deletes it after a dry run and a confirmation', async () => {
    const status = await runCli(['status', ...admin]);
    expect(status.stdout).toMatch(/subscription old\.gone: lag 5, pending 0, UNUSED: no running pipeline uses it/);
    expect(status.stdout).toMatch(/subscription cars\.out: lag \d+, pending \d+\n/);

    const dry = await runCli(['subscriptions', 'delete', 'cars', 'old.gone', '--dry-run', ...admin]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/would delete cars old\.gone: lag 5, pending 0, UNUSED/);
    expect(await storage.listSubscriptions('cars')).toContain('old.gone');

    const unasked = await runCli(['subscriptions', 'delete', 'cars', 'old.gone', ...admin]);
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toMatch(/pass --yes/);

    const done = await runCli(['subscriptions', 'delete', 'cars', 'old.gone', '--yes', ...admin]);
    expect(done.code).toBe(0);
    expect(await storage.listSubscriptions('cars')).toEqual(['cars.out']);

    const used = await runCli(['subscriptions', 'delete', 'cars', 'cars.out', '--yes', ...admin]);
    expect(used.code).toBe(1);
    expect(used.stderr).toMatch(/used by a running pipeline.*\[E_SUBSCRIPTION_IN_USE\]/);
    const missing = await runCli(['subscriptions', 'delete', 'cars', 'nope.nope', '--yes', ...admin]);
    expect(missing.code).toBe(2);
  }, 300_000);

  it('answers the same over the admin routes', async () => {
    const [list, remove] = subscriptionRoutes({ storage });
    await storage.ensureSubscription('cars', 'old.again', 'end');
    const listed = await list.handle({
      method: 'GET',
      params: {},
      query: new URLSearchParams('topic=cars'),
      body: undefined,
      raw: undefined as never,
    });
    expect(listed?.body).toEqual([
      expect.objectContaining({ subscription: 'cars.out', isUsed: true }),
      expect.objectContaining({ subscription: 'old.again', isUsed: false }),
    ]);
    const params = { topic: 'cars', subscription: 'old.again' };
    const dry = await remove.handle({
      method: 'DELETE',
      params,
      query: new URLSearchParams('dryRun=true'),
      body: undefined,
      raw: undefined as never,
    });
    expect(dry).toMatchObject({ status: 200, body: { deleted: false } });
    const done = await remove.handle({
      method: 'DELETE',
      params,
      query: new URLSearchParams(),
      body: undefined,
      raw: undefined as never,
    });
    expect(done).toMatchObject({ status: 200, body: { deleted: true } });
    const gone = await remove.handle({
      method: 'DELETE',
      params,
      query: new URLSearchParams(),
      body: undefined,
      raw: undefined as never,
    });
    expect(gone).toMatchObject({ status: 404, body: { code: 'E_NO_SUBSCRIPTION' } });
    const used = await remove.handle({
      method: 'DELETE',
      params: { topic: 'cars', subscription: 'cars.out' },
      query: new URLSearchParams(),
      body: undefined,
      raw: undefined as never,
    });
    expect(used).toMatchObject({ status: 409, body: { code: 'E_SUBSCRIPTION_IN_USE' } });
  });
});
