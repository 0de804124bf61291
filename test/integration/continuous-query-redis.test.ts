// The continuous query's guarantees on the machine's Redis, each test under a prefix of its own.
import { describeContinuousQuery } from '../conformance/continuous-query.js';
import { redisStorages } from '../harness/redis-storage-under-test.js';

describeContinuousQuery('redis', redisStorages('cq'));
