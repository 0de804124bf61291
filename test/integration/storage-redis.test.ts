// The storage conformance suite against the machine's Redis (127.0.0.1:6379). Every storage made here writes
// under a prefix of its own and removes exactly those keys afterwards.
import { describeStorageConformance } from '../conformance/storage.js';
import { redisStorages } from '../harness/redis-storage-under-test.js';

describeStorageConformance('redis', redisStorages('storage'));
