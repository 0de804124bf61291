// What the admin routes of one process work with: its engine, its storage and queue, and the fleet snapshot.
import type { LoadedConfig } from '../config/pipeline-spec.js';
import type { Logger } from '../plugin.js';
import type { WorkQueue } from '../queue/queue.js';
import type { Engine } from '../runtime/engine.js';
import type { Storage } from '../storage/storage.js';
import type { FleetSource } from './fleet-status.js';

export interface AdminDeps {
  /** The engine now running (read on every use: a reload with --watch swaps it). */
  readonly engine: Engine;
  config: LoadedConfig;
  storage: Storage;
  queue: WorkQueue;
  /** Where GET /api/status reads workers and job counts (the whole fleet on Redis, this process embedded). */
  fleet: FleetSource;
  logger: Logger;
}
