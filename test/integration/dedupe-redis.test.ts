// dedupe in a fleet: two workers, each with its own Redis connection, share what they have seen through the
// state store on the machine's Redis (127.0.0.1:6379), under a key prefix of this test run.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SluiceEvent } from '../../core/event.js';
import type { ProcessorInstance } from '../../core/plugin.js';
import { RedisStorage } from '../../core/storage/redis.js';
import dedupe from '../../plugins/transform/dedupe.js';
import { testPluginContext } from '../conformance/plugin-context.js';
import { runProcessor } from '../conformance/processor.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';

const event = (key: string, id?: string): SluiceEvent => ({
  key,
  value: key,
  ts: 0,
  headers: {},
  ...(id ? { id } : {}),
});

describe('dedupe on Redis state (fleet mode)', () => {
  const prefix = uniquePrefix('dedupe');
  let admin: Redis;
  let storages: RedisStorage[];
  let scopes = 0;

  beforeAll(async () => {
    admin = await connectTestRedis();
    storages = await Promise.all(
      [1, 2].map(() => RedisStorage.connect({ url: TEST_REDIS_URL, prefix, connectTimeoutMs: 5000 })),
    );
  });
  afterAll(async () => {
    await Promise.all(storages.map((s) => s.close()));
    await deleteKeysWithPrefix(admin, prefix);
    await admin.quit();
  });

  /** One dedupe instance per worker, on the same pipeline component's state. */
  const workers = async (config: Record<string, unknown>): Promise<ProcessorInstance[]> => {
    const scope = `pipeline-${++scopes}/processors[0]`;
    return Promise.all(
      storages.map((storage) =>
        dedupe.create(dedupe.config.parse(config), testPluginContext({ mode: 'fleet', state: storage.state(scope) })),
      ),
    );
  };
  const keysOf = async (worker: ProcessorInstance, batch: SluiceEvent[]) =>
    (await runProcessor(worker, batch)).events.map((e) => e.key);

  it('drops on one worker what another worker already passed', async () => {
    const [a, b] = await workers({ window: '1m' });
    expect(await keysOf(a, [event('x'), event('y')])).toEqual(['x', 'y']);
    expect(await keysOf(b, [event('x'), event('z'), event('y')])).toEqual(['z']);
  });

  it('passes each value exactly once when workers race on the same values', async () => {
    const [a, b] = await workers({ window: '1m' });
    const batch = Array.from({ length: 200 }, (_, i) => event(`k${i % 100}`));
    const [fromA, fromB] = await Promise.all([keysOf(a, batch), keysOf(b, batch)]);
    expect([...fromA, ...fromB].sort()).toEqual(Array.from({ length: 100 }, (_, i) => `k${i}`).sort());
  });

  it('forgets a value when its window expires in Redis', async () => {
    const [a, b] = await workers({ window: '150ms' });
    expect(await keysOf(a, [event('x')])).toEqual(['x']);
    expect(await keysOf(b, [event('x')])).toEqual([]);
    await sleep(250);
    expect(await keysOf(b, [event('x')])).toEqual(['x']);
  });

  it('passes a stored event again when its batch is retried on another worker', async () => {
    const [a, b] = await workers({ window: '1m' });
    const batch = [event('x', '0-1-0'), event('x', '0-2-0')];
    expect((await runProcessor(a, batch)).events.map((e) => e.id)).toEqual(['0-1-0']);
    expect((await runProcessor(b, batch)).events.map((e) => e.id)).toEqual(['0-1-0']);
  });
});
