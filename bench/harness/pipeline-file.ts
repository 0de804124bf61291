// Pipeline files for the Sluice variants, written to the run's scratch folder exactly as a user would write
// them (YAML), so that Sluice is configured through its front door.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { AES_KEY_ENV } from '../baselines/processor-work.js';
import { REDIS_URL } from './bench-redis.js';

export function writePipelineFile(dir: string, name: string, config: Record<string, unknown>): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, stringify(config));
  return path;
}

/** The `redis:` entry of a pipeline file for a variant writing under `prefix`. */
export const redisEntry = (prefix: string, url = REDIS_URL) => ({ url, prefix });

/** The processor chain of the scenarios: JSON (decode or encode), gzip level 1, AES-256-GCM. */
export const sealingProcessors = (json: 'decode' | 'encode') => [
  { type: 'json', action: json },
  { type: 'gzip', level: 1 },
  // Key material only through the environment, as the aes-gcm processor asks.
  { type: 'aes-gcm', keys: { bench: `\${${AES_KEY_ENV}}` } },
];
