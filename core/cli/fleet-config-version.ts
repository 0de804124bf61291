// Which version of the pipeline files the fleet last applied: a `--watch` worker writes its digest after it
// starts and after each reload, and reads the others' now and then. Workers apply only what their own files
// say; one whose digest differs from the last one applied says so, so a half-finished rollout is visible.
import type { RedisSettings } from '../config/pipeline-spec.js';
import { RedisKeys } from '../storage/keys.js';
import { openClient } from '../storage/redis-connection.js';
import { redisTarget } from './redis-drivers.js';

export interface ConfigVersion {
  digest: string;
  worker: string;
  /** When it was applied, ms since the epoch. */
  at: number;
}

export interface FleetConfigVersion {
  publish(version: ConfigVersion): Promise<void>;
  latest(): Promise<ConfigVersion | undefined>;
  close(): void;
}

export function openFleetConfigVersion(settings: RedisSettings): FleetConfigVersion {
  const client = openClient(redisTarget(settings), { maxRetriesPerRequest: 2 });
  const key = new RedisKeys(settings.prefix).configVersion();
  return {
    publish: async (version) => {
      await client.set(key, JSON.stringify(version));
    },
    latest: async () => {
      const text = await client.get(key);
      return text === null ? undefined : (JSON.parse(text) as ConfigVersion);
    },
    close: () => client.disconnect(),
  };
}
