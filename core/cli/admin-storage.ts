// Storage for the admin commands (status, replay, offsets). They inspect a fleet's Redis: embedded mode keeps
// its topics in the memory of the `sluice run` process, so there is nothing to inspect from outside.
import { ConfigError } from '../errors.js';
import type { Storage } from '../storage/storage.js';

export async function openAdminStorage(redis: string | undefined, prefix: string): Promise<Storage> {
  if (!redis) {
    throw new ConfigError(
      "this command reads a fleet's Redis: pass --redis redis://host:6379 (or set SLUICE_REDIS). Embedded mode keeps topics only inside the running `sluice run` process",
      { code: 'E_NEEDS_REDIS' },
    );
  }
  const [{ openRedisStorage }, { isClusterNode }] = await Promise.all([
    import('./redis-drivers.js'),
    import('../storage/redis-connection.js'),
  ]);
  // The URL names one node; a node of a cluster means the whole cluster.
  return openRedisStorage({ url: redis, prefix, cluster: await isClusterNode(redis) });
}
