// The storage conformance suite against the machine's Redis (127.0.0.1:6379). Every storage made here writes
// under a prefix of its own and removes exactly those keys afterwards.

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { RedisStorage } from '../../core/storage/redis.js';
import { describeStorageConformance } from '../conformance/storage.js';
import { deleteKeysWithPrefix } from '../harness/redis-keys.js';

const url = 'redis://127.0.0.1:6379';
const run = randomUUID().slice(0, 8);
let made = 0;
const admin = new Redis(url, { maxRetriesPerRequest: 1 });

afterAll(async () => {
  await admin.quit();
});

describeStorageConformance('redis', async () => {
  const prefix = `sluice-test-${run}-${++made}`;
  const storage = await RedisStorage.connect({ url, prefix, connectTimeoutMs: 5000 });
  return {
    storage,
    cleanup: async () => {
      await storage.close();
      await deleteKeysWithPrefix(admin, prefix);
    },
  };
});
