// Every worker claims under consumer names of its own (`<worker>/<lane>`), so a fleet that restarts often would
// leave a trail of consumers in each subscription's group. Idle ones holding nothing are removed; one that holds
// pending events never is (deleting a consumer drops its pending entries).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtins } from '../../builtins.js';
import { loadConfig } from '../../core/config/load.js';
import { createEvent } from '../../core/event.js';
import { BullmqQueue } from '../../core/queue/bullmq.js';
import { Engine } from '../../core/runtime/engine.js';
import { silentLogger } from '../../core/runtime/logger.js';
import { RedisKeys } from '../../core/storage/keys.js';
import { RedisStorage } from '../../core/storage/redis.js';
import { waitFor } from '../harness/fleet.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';
import { received, resetTestPlugins, testPlugins } from '../harness/test-plugins.js';

let redis: Redis;
const prefix = uniquePrefix('consumers');
const keys = new RedisKeys(prefix);

beforeAll(async () => {
  redis = await connectTestRedis();
});
afterAll(async () => {
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

/** Consumer names of the group on each partition of topic t. */
async function consumers(partitions: number, group: string): Promise<string[]> {
  const names: string[] = [];
  for (let p = 0; p < partitions; p++) {
    const key = keys.partition('t', p);
    const rows = (await redis.call('XINFO', 'CONSUMERS', key, group)) as unknown[][];
    for (const row of rows) names.push(String(row[row.indexOf('name') + 1]));
  }
  return names.sort();
}

describe('consumers left behind', () => {
  it('are removed once idle with nothing pending; one holding a claimed batch stays', async () => {
    const storage = await RedisStorage.connect({ url: TEST_REDIS_URL, prefix });
    try {
      await storage.ensureTopic({ name: 't', partitions: 1 });
      await storage.ensureSubscription('t', 'g', 'beginning');
      await storage.append('t', [createEvent({ value: 1 }), createEvent({ value: 2 }), createEvent({ value: 3 })]);
      const gone = await storage.claim('t', 'g', 0, { count: 1, consumer: 'gone-worker/0' });
      await storage.ack('t', 'g', 0, [gone[0].id]);
      await storage.claim('t', 'g', 0, { count: 1, consumer: 'frozen-worker/1' });
      const live = await storage.claim('t', 'g', 0, { count: 1, consumer: 'live-worker/0' });
      await storage.ack('t', 'g', 0, [live[0].id]);
      expect(await consumers(1, 'g')).toEqual(['frozen-worker/1', 'gone-worker/0', 'live-worker/0']);

      await new Promise((r) => setTimeout(r, 120));
      // live-worker claims again (and acknowledges): not idle.
      await storage.append('t', [createEvent({ value: 4 })]);
      const again = await storage.claim('t', 'g', 0, { count: 1, consumer: 'live-worker/0' });
      await storage.ack('t', 'g', 0, [again[0].id]);
      expect(await storage.pruneConsumers('t', 'g', 100)).toBe(1);
      expect(await consumers(1, 'g')).toEqual(['frozen-worker/1', 'live-worker/0']);
      // The batch the frozen worker holds is still pending, under its name, for recovery.
      expect((await storage.pending('t', 'g', 0, 10)).map((e) => e.consumer)).toEqual(['frozen-worker/1']);
    } finally {
      await storage.close();
    }
  });

  it('are removed by the running engine', async () => {
    resetTestPlugins();
    const dir = mkdtempSync(join(tmpdir(), 'sluice-consumers-'));
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      `redis: { url: "${TEST_REDIS_URL}", prefix: "${prefix}" }
topics:
  t2: { partitions: 1 }
pipelines:
  p:
    source: { type: test-list, count: 10, batch: 10 }
    topic: t2
    sinks: [{ type: test-record, id: pruned, name: s }]
`,
    );
    const config = await loadConfig([file], { builtins: [...builtins, ...testPlugins], env: {} });
    const storage = await RedisStorage.connect({ url: TEST_REDIS_URL, prefix });
    const queue = new BullmqQueue({ connection: TEST_REDIS_URL, prefix, logger: silentLogger });
    const names = async () => {
      const rows = (await redis.call('XINFO', 'CONSUMERS', keys.partition('t2', 0), 'p.s')) as unknown[][];
      return rows.map((row) => String(row[row.indexOf('name') + 1]));
    };
    // A worker of an earlier deployment read under its own name, then went away.
    await storage.ensureTopic({ name: 't2', partitions: 1 });
    await storage.ensureSubscription('t2', 'p.s', 'beginning');
    await storage.append('t2', [createEvent({ value: 'earlier' })]);
    const earlier = await storage.claim('t2', 'p.s', 0, { count: 1, consumer: 'old-worker/0' });
    await storage.ack('t2', 'p.s', 0, [earlier[0].id]);
    expect(await names()).toEqual(['old-worker/0']);
    const engine = new Engine({
      config,
      storage,
      queue,
      logger: silentLogger,
      workerId: 'new-worker',
      retentionEveryMs: 50,
      consumerIdleMs: 300,
    });
    try {
      await engine.start();
      await waitFor(() => (received.get('pruned') ?? []).length === 10, 30_000, 'the 10 events to be delivered');
      await waitFor(async () => !(await names()).includes('old-worker/0'), 30_000, 'old-worker/0 to be removed');
    } finally {
      await engine.stop(1000);
      await queue.close(1000);
      await storage.close();
    }
  });
});
