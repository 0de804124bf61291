// Test clean-up on a shared Redis: removes the keys under one test prefix and nothing else (never FLUSHALL).

import type { Cluster, Redis } from 'ioredis';

/** Deletes every key that starts with `<prefix>:` on every master. */
export async function deleteKeysWithPrefix(client: Redis | Cluster, prefix: string): Promise<void> {
  if (/[*?[\]\\]/.test(prefix)) throw new Error(`test prefix ${prefix} must not contain glob characters`);
  const nodes = (client as { isCluster?: boolean }).isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      // One DEL per key: on a cluster, keys of one node may still sit in different slots.
      for (const key of keys) await node.del(key);
    } while (cursor !== '0');
  }
}
