// The storage conformance suite against RedisStorage on a throwaway three-master Redis Cluster, and the reason
// for the topic hash tag: topics land on different masters while each topic's keys stay together.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStorage } from '../../core/storage/redis.js';
import { describeStorageConformance } from '../conformance/storage.js';
import { deleteClusterKeysWithPrefix, RedisCluster } from '../harness/redis-cluster.js';
import { uniquePrefix } from '../harness/redis-prefix.js';

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await RedisCluster.start(3);
}, 90_000);
afterAll(() => cluster?.stop());

async function connect(prefix: string): Promise<RedisStorage> {
  return RedisStorage.connect({ cluster: { nodes: cluster.nodes }, prefix, connectTimeoutMs: 10_000 });
}

describeStorageConformance('redis cluster', async () => {
  const prefix = uniquePrefix('storage-cluster');
  const storage = await connect(prefix);
  return {
    storage,
    cleanup: async () => {
      await storage.close();
      await deleteClusterKeysWithPrefix(cluster.admin, prefix);
    },
  };
});

describe('RedisStorage on a Redis Cluster', () => {
  it('spreads topics over several masters and keeps all keys of one topic on one master', async () => {
    const prefix = uniquePrefix('storage-spread');
    const storage = await connect(prefix);
    try {
      const topics = Array.from({ length: 12 }, (_, i) => `orders-${i}`);
      for (const topic of topics) {
        await storage.ensureTopic({ name: topic, partitions: 3 });
        await storage.ensureSubscription(topic, 'sink', 'beginning');
        await storage.append(topic, [{ key: 'a', value: 1, ts: 1, headers: {} }], {
          checkpoint: { source: 'src', value: 1 },
        });
      }
      const masters = cluster.admin.nodes('master');
      const holders = new Set<string>();
      for (const topic of topics) {
        const keys = [
          storage.keys.topicMeta(topic),
          storage.keys.checkpoints(topic),
          ...[0, 1, 2].map((p) => storage.keys.partition(topic, p)),
        ];
        const slots = new Set<number>();
        for (const key of keys) slots.add(Number(await cluster.admin.call('CLUSTER', 'KEYSLOT', key)));
        expect(slots.size).toBe(1);
        const [slot] = slots;
        const where = new Set<number>();
        for (const [i, node] of masters.entries()) {
          if (Number(await node.call('CLUSTER', 'COUNTKEYSINSLOT', slot)) > 0) where.add(i);
        }
        expect(where.size).toBe(1);
        holders.add(String([...where][0]));
      }
      expect(holders.size).toBeGreaterThan(1);
    } finally {
      await storage.close();
      await deleteClusterKeysWithPrefix(cluster.admin, prefix);
    }
  });
});
