// The storage conformance suite against the machine's Redis (127.0.0.1:6379). Every storage made here writes
// under a prefix of its own and removes exactly those keys afterwards.

import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisStorage } from '../../core/storage/redis.js';
import { describeStorageConformance } from '../conformance/storage.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';

let admin: Redis;

beforeAll(async () => {
  admin = await connectTestRedis();
});
afterAll(async () => {
  await admin?.quit();
});

describeStorageConformance('redis', async () => {
  const prefix = uniquePrefix('storage');
  const storage = await RedisStorage.connect({ url: TEST_REDIS_URL, prefix, connectTimeoutMs: 5000 });
  return {
    storage,
    cleanup: async () => {
      await storage.close();
      await deleteKeysWithPrefix(admin, prefix);
    },
  };
});
