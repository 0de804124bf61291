// A rolling deploy: workers of two versions of a pipeline file share one Redis. A worker takes only jobs of the
// pipelines it runs; jobs of a pipeline it does not have stay queued, their attempts untouched, until a worker
// that runs that pipeline takes them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { builtins } from '../../builtins.js';
import { loadConfig } from '../../core/config/load.js';
import { createEvent } from '../../core/event.js';
import { BullmqQueue } from '../../core/queue/bullmq.js';
import { jobFor } from '../../core/runtime/dispatch.js';
import { Engine } from '../../core/runtime/engine.js';
import { silentLogger } from '../../core/runtime/logger.js';
import { RedisStorage } from '../../core/storage/redis.js';
import { waitFor } from '../conformance/queue.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';
import { received, resetTestPlugins, testPlugins } from '../harness/test-plugins.js';

const V1 = `
pipelines:
  to-a:
    topic: orders
    sinks: [ { type: test-record, id: a } ]
`;
// Version 2 adds a pipeline the workers of version 1 do not know.
const V2 = `${V1}
  to-b:
    topic: orders
    sinks: [ { type: test-record, id: b } ]
`;

let admin: Redis;
let prefix: string;
const cleanups: Array<() => Promise<unknown>> = [];

async function load(yaml: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-fleet-')), 'p.yaml');
  writeFileSync(file, yaml);
  return loadConfig([file], { builtins: [...builtins, ...testPlugins], env: {} });
}

async function drivers(workerId: string) {
  const storage = await RedisStorage.connect({ url: TEST_REDIS_URL, prefix });
  const queue = new BullmqQueue({ connection: TEST_REDIS_URL, prefix, workerId, logger: silentLogger });
  cleanups.push(
    () => storage.close(),
    () => queue.close(0),
  );
  return { storage, queue };
}

async function worker(yaml: string, workerId: string) {
  const { storage, queue } = await drivers(workerId);
  const engine = new Engine({ config: await load(yaml), storage, queue, logger: silentLogger, workerId });
  cleanups.push(() => engine.stop(0));
  await engine.start();
  return { engine, storage, queue };
}

const ns = (id: string) => (received.get(id) ?? []).map((e) => (e.value as { n: number }).n).sort((x, y) => x - y);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

beforeAll(async () => {
  admin = await connectTestRedis();
});
beforeEach(() => {
  resetTestPlugins();
  prefix = uniquePrefix('mixed');
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await deleteKeysWithPrefix(admin, prefix);
});
afterAll(async () => {
  await admin?.quit();
});

describe('a fleet whose workers run different versions of the pipeline file', () => {
  it('leaves jobs of a pipeline a worker does not run queued with their attempts untouched', async () => {
    const v2 = await load(V2);
    const toB = v2.pipelines.find((p) => p.name === 'to-b')!;
    const { storage, queue: submitter } = await drivers('deployer');
    await storage.ensureTopic(v2.topics.get('orders')!);
    await storage.ensureSubscription('orders', toB.sinks[0].subscription, 'beginning');
    await storage.append(
      'orders',
      range(20).map((n) => createEvent({ key: `k${n % 3}`, value: { n } })),
    );
    // A worker of version 2 queued a job of `to-b` and went away before running it.
    const claimed = await storage.claim('orders', toB.sinks[0].subscription, 0, { count: 100, consumer: 'v2-gone' });
    const target = { pipeline: 'to-b', topic: 'orders', sink: toB.sinks[0], partition: 0 };
    await submitter.submit(jobFor(target, claimed), { attempts: toB.sinks[0].retry.attempts });

    // A worker of version 1 runs `to-a` only: it delivers its own events and leaves the job of `to-b` alone.
    const old = await worker(V1, 'v1');
    await waitFor('the version-1 worker to deliver its pipeline', () => ns('a').length === 20, 20_000);
    expect(ns('a')).toEqual(range(20));
    expect(await old.queue.counts()).toEqual({ waiting: 1, active: 0, delayed: 0, failed: 0 });
    expect(old.engine.fatalError).toBeUndefined();
    expect(ns('b')).toEqual([]);

    // A worker of version 2 joins and takes it.
    const next = await worker(V2, 'v2');
    await waitFor('the version-2 worker to deliver `to-b`', () => ns('b').length >= 20, 20_000);
    expect([...new Set(ns('b'))]).toEqual(range(20));
    await waitFor('the queues to empty', async () => {
      const c = await next.queue.counts();
      return c.waiting + c.active + c.delayed === 0;
    });
    expect((await next.queue.counts()).failed).toBe(0);
    expect(old.engine.fatalError).toBeUndefined();
  });
});
