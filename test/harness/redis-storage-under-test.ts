// Fresh Redis storages for suites that run on every driver: each under a prefix of its own, whose keys are
// deleted when the test is done. Call at the top of a test file; it registers the admin client's lifetime.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisStorage } from '../../core/storage/redis.js';
import type { StorageUnderTest } from '../conformance/storage.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from './redis-prefix.js';

export function redisStorages(label: string): () => Promise<StorageUnderTest> {
  let admin: Redis;
  beforeAll(async () => {
    admin = await connectTestRedis();
  });
  afterAll(async () => {
    await admin?.quit();
  });
  return async () => {
    const prefix = uniquePrefix(label);
    const storage = await RedisStorage.connect({ url: TEST_REDIS_URL, prefix, connectTimeoutMs: 5000 });
    return {
      storage,
      cleanup: async () => {
        await storage.close();
        await deleteKeysWithPrefix(admin, prefix);
      },
    };
  };
}
