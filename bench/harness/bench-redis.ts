// The machine's Redis as the bench uses it: every run writes only under a key prefix of its own, measures the
// memory of the keys under a prefix, and deletes exactly those keys afterwards (SCAN + DEL, never FLUSHALL).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A prefix no other run uses, e.g. `bench-3f2a9c1b`. */
export const runPrefix = (): string => `bench-${randomUUID().slice(0, 8)}`;

export async function connectRedis(): Promise<Redis> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    throw new Error(`the bench needs Redis at ${REDIS_URL} and could not reach it: ${String(err)}`);
  }
  return client;
}

async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  if (/[*?[\]\\]/.test(prefix)) throw new Error(`bench prefix ${prefix} must not contain glob characters`);
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

/**
 * Total µs Redis has spent in commands so far, from `INFO commandstats`: the difference over a stretch is Redis's
 * own time for it (other clients of the same Redis count too).
 */
export async function redisCommandMicros(client: Redis): Promise<number> {
  let total = 0;
  for (const m of (await client.info('commandstats')).matchAll(/usec=(\d+)/g)) total += Number(m[1]);
  return total;
}

/** Deletes every key that starts with `prefix` and nothing else. */
export async function deleteKeys(client: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  for (const key of await keysUnder(client, prefix)) deleted += await client.del(key);
  return deleted;
}

/** Bytes Redis holds for the keys under `prefix` (MEMORY USAGE with every element counted), by key. */
export async function memoryUnder(
  client: Redis,
  prefix: string,
): Promise<{ total: number; byKey: Map<string, number> }> {
  const byKey = new Map<string, number>();
  let total = 0;
  for (const key of await keysUnder(client, prefix)) {
    const bytes = Number((await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
    byKey.set(key, bytes);
    total += bytes;
  }
  return { total, byKey };
}
