// The fleet drivers: Redis Streams storage and the BullMQ work queue on one Redis (or Redis Cluster). Loaded
// only when Redis is configured, so embedded runs never load ioredis or BullMQ.
import type { RedisSettings } from '../config/pipeline-spec.js';
import type { Logger } from '../plugin.js';
import { BullmqQueue } from '../queue/bullmq.js';
import type { QueueCounts } from '../queue/queue.js';
import { listWorkers, type WorkerInfo } from '../queue/worker-registry.js';
import { RedisKeys } from '../storage/keys.js';
import { RedisStorage } from '../storage/redis.js';
import { isClusterNode, openClient, type RedisTarget } from '../storage/redis-connection.js';
import type { Drivers } from './drivers.js';
import { packageVersion } from './package-version.js';

/** One Redis, or a Redis Cluster discovered from the one node the URL names. */
export function redisTarget(settings: RedisSettings): RedisTarget {
  return settings.cluster ? { cluster: { nodes: [settings.url] } } : { url: settings.url };
}

export function openRedisStorage(settings: RedisSettings): Promise<RedisStorage> {
  return RedisStorage.connect({ ...redisTarget(settings), prefix: settings.prefix });
}

export function openRedisQueue(settings: RedisSettings, logger: Logger, workerId: string): BullmqQueue {
  return new BullmqQueue({
    connection: redisTarget(settings),
    prefix: settings.prefix,
    workerId,
    logger,
    version: packageVersion(),
  });
}

export async function openRedisDrivers(settings: RedisSettings, logger: Logger, workerId: string): Promise<Drivers> {
  const storage = await openRedisStorage(settings);
  return { storage, queue: openRedisQueue(settings, logger, workerId), close: () => storage.close() };
}

export interface RedisAdmin {
  storage: RedisStorage;
  workers(): Promise<WorkerInfo[]>;
  jobCounts(): Promise<QueueCounts>;
  close(): Promise<void>;
}

/**
 * What `sluice status` reads: storage, the worker heartbeats and the job counts, without joining the fleet. A
 * URL naming a node of a Redis Cluster reads the whole cluster.
 */
export async function openRedisAdmin(given: RedisSettings): Promise<RedisAdmin> {
  const settings = given.cluster ? given : { ...given, cluster: await isClusterNode(given.url) };
  const storage = await openRedisStorage(settings);
  const queue = new BullmqQueue({ connection: redisTarget(settings), prefix: settings.prefix, workerId: 'status' });
  const client = openClient(redisTarget(settings), { maxRetriesPerRequest: 2 });
  return {
    storage,
    workers: () => listWorkers(client, new RedisKeys(settings.prefix)),
    jobCounts: () => queue.counts(),
    close: async () => {
      client.disconnect();
      await queue.close(0);
      await storage.close();
    },
  };
}
