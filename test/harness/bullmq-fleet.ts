// Members of one fleet of BullmqQueue processes, for the work queue conformance suite and the BullMQ tests on one
// Redis or a Redis Cluster: a key prefix of the fleet's own, short leases and heartbeats so that tests run fast,
// and a cleanup that closes every member and deletes the fleet's keys.
import { BullmqQueue } from '../../core/queue/bullmq.js';
import type { RedisTarget } from '../../core/storage/redis-connection.js';
import { recordingLogger } from '../conformance/queue.js';

export function bullmqFleet(
  connection: string | RedisTarget,
  prefix: string,
  deleteKeys: (prefix: string) => Promise<unknown>,
) {
  const members: BullmqQueue[] = [];
  return {
    prefix,
    member: (logger = recordingLogger().logger) => {
      const q = new BullmqQueue({
        connection,
        prefix,
        logger,
        leaseMs: 1000,
        exclusiveRetryMs: 200,
        heartbeatMs: 200,
        version: '0.0.0-test',
      });
      members.push(q);
      return q;
    },
    cleanup: async () => {
      await Promise.all(members.map((q) => q.close(0)));
      await deleteKeys(prefix);
    },
  };
}
