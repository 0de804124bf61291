// The fleet drivers: Redis Streams storage and the BullMQ work queue on one Redis (or Redis Cluster). Loaded
// only when Redis is configured, so embedded runs never load ioredis or BullMQ.
import { Redis } from 'ioredis';
import type { RedisSettings } from '../config/pipeline-spec.js';
import type { Logger } from '../plugin.js';
import { BullmqQueue } from '../queue/bullmq.js';
import type { QueueCounts } from '../queue/queue.js';
import { listWorkers, type WorkerInfo } from '../queue/worker-registry.js';
import { RedisKeys } from '../storage/keys.js';
import { RedisStorage } from '../storage/redis.js';
import type { Drivers } from './drivers.js';
import { packageVersion } from './package-version.js';

export function openRedisStorage(settings: RedisSettings): Promise<RedisStorage> {
  return RedisStorage.connect(
    settings.cluster
      ? { cluster: { nodes: [settings.url] }, prefix: settings.prefix }
      : { url: settings.url, prefix: settings.prefix },
  );
}

export async function openRedisDrivers(settings: RedisSettings, logger: Logger, workerId: string): Promise<Drivers> {
  const storage = await openRedisStorage(settings);
  const queue = new BullmqQueue({
    connection: settings.url,
    prefix: settings.prefix,
    workerId,
    logger,
    version: packageVersion(),
  });
  return { storage, queue, close: () => storage.close() };
}

export interface RedisAdmin {
  storage: RedisStorage;
  workers(): Promise<WorkerInfo[]>;
  jobCounts(): Promise<QueueCounts>;
  close(): Promise<void>;
}

/** What `sluice status` reads: storage, the worker heartbeats and the job counts, without joining the fleet. */
export async function openRedisAdmin(settings: RedisSettings): Promise<RedisAdmin> {
  const storage = await openRedisStorage(settings);
  const queue = new BullmqQueue({ connection: settings.url, prefix: settings.prefix, workerId: 'status' });
  const client = new Redis(settings.url, { maxRetriesPerRequest: 2 });
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
