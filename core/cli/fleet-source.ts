// Where a worker's GET /api/status reads the fleet: its own storage and queue (whose counts cover every delivery
// queue), and the worker heartbeats through the reader `sluice status` uses, opened at the first request (most
// processes are never asked) and closed with the process.
import type { FleetSource } from '../admin/fleet-status.js';
import type { RedisSettings } from '../config/pipeline-spec.js';
import type { WorkQueue } from '../queue/queue.js';
import type { Storage } from '../storage/storage.js';
import type { RedisAdmin } from './redis-drivers.js';

export function lazyRedisFleet(
  settings: RedisSettings,
  storage: Storage,
  queue: WorkQueue,
): { source: FleetSource; close(): Promise<void> } {
  let admin: Promise<RedisAdmin> | undefined;
  return {
    source: {
      storage,
      jobCounts: () => queue.counts(),
      workers: async () => {
        admin ??= import('./redis-drivers.js').then(({ openRedisAdmin }) => openRedisAdmin(settings));
        return (await admin).workers();
      },
    },
    close: async () => {
      if (admin) await (await admin).close();
    },
  };
}
