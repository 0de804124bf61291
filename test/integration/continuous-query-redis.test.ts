// The continuous query's guarantees on the machine's Redis, each test under a prefix of its own.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisStorage } from '../../core/storage/redis.js';
import { describeContinuousQuery } from '../conformance/continuous-query.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';

let admin: Redis;

beforeAll(async () => {
  admin = await connectTestRedis();
});
afterAll(async () => {
  await admin?.quit();
});

describeContinuousQuery('redis', async () => {
  const prefix = uniquePrefix('cq');
  const storage = await RedisStorage.connect({ url: TEST_REDIS_URL, prefix, connectTimeoutMs: 5000 });
  return {
    storage,
    cleanup: async () => {
      await storage.close();
      await deleteKeysWithPrefix(admin, prefix);
    },
  };
});
