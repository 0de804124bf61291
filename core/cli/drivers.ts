// Chooses the storage and queue drivers for a configuration: in-memory when no Redis is configured (one
// process, nothing to install), Redis Streams and BullMQ when it is (durable, a fleet of workers).
import type { LoadedConfig, RedisSettings } from '../config/pipeline-spec.js';
import type { Logger } from '../plugin.js';
import { MemoryQueue } from '../queue/memory.js';
import type { WorkQueue } from '../queue/queue.js';
import { Engine } from '../runtime/engine.js';
import { MemoryStorage } from '../storage/memory.js';
import type { Storage } from '../storage/storage.js';

export interface Drivers {
  storage: Storage;
  queue: WorkQueue;
  /** Closes what the drivers opened (the queue is closed by the engine). */
  close(): Promise<void>;
}

export async function openDrivers(
  redis: RedisSettings | undefined,
  logger: Logger,
  workerId: string,
): Promise<Drivers> {
  if (!redis) {
    const storage = new MemoryStorage();
    return { storage, queue: new MemoryQueue({ logger }), close: () => storage.close() };
  }
  const { openRedisDrivers } = await import('./redis-drivers.js');
  return openRedisDrivers(redis, logger, workerId);
}

/** A fresh work queue for an engine on storage that is already open (a reload keeps the storage). */
export async function openQueue(
  redis: RedisSettings | undefined,
  logger: Logger,
  workerId: string,
): Promise<WorkQueue> {
  if (!redis) return new MemoryQueue({ logger });
  const { openRedisQueue } = await import('./redis-drivers.js');
  return openRedisQueue(redis, logger, workerId);
}

export interface EngineSettings {
  /** Name of this process in subscriptions and job locks. */
  workerId: string;
  concurrency?: number;
  roles?: { ingest: boolean; deliver: boolean };
}

/** The engine of a loaded configuration, on the drivers it asks for; `sluice run`/`worker` and code share it. */
export async function openEngine(
  config: LoadedConfig,
  logger: Logger,
  settings: EngineSettings,
): Promise<{ engine: Engine; drivers: Drivers }> {
  const drivers = await openDrivers(config.redis, logger, settings.workerId);
  const engine = new Engine({ config, storage: drivers.storage, queue: drivers.queue, logger, ...settings });
  return { engine, drivers };
}
