// Two sinks on one topic in a fleet on the machine's Redis: a stalled sink does not slow the other, and a replay
// of one subscription from a time re-delivers exactly the events stored since then, to that sink only.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtins } from '../../builtins.js';
import { loadConfig } from '../../core/config/load.js';
import { createEvent } from '../../core/event.js';
import { BullmqQueue } from '../../core/queue/bullmq.js';
import { Engine } from '../../core/runtime/engine.js';
import { silentLogger } from '../../core/runtime/logger.js';
import { RedisStorage } from '../../core/storage/redis.js';
import { waitFor } from '../harness/fleet.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';
import { received, resetTestPlugins, testPlugins } from '../harness/test-plugins.js';

let redis: Redis;
const prefix = uniquePrefix('subs');

beforeAll(async () => {
  redis = await connectTestRedis();
});
afterAll(async () => {
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

const ns = (id: string) => (received.get(id) ?? []).map((e) => (e.value as { n: number }).n).sort((a, b) => a - b);

describe('subscriptions on Redis', () => {
  it('consume independently, and a replay from a time re-delivers exactly what was stored since, to that sink only', async () => {
    resetTestPlugins();
    const dir = mkdtempSync(join(tmpdir(), 'sluice-subs-'));
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      `redis: { url: "${TEST_REDIS_URL}", prefix: "${prefix}" }
pipelines:
  p:
    source: { type: test-list, count: 300, batch: 100 }
    topic: t
    sinks:
      - { type: test-record, id: fast, name: fast }
      - { type: test-record, id: stalled, name: stalled, delayMs: 600000, ordered: true, batch: { maxEvents: 1 } }
`,
    );
    const config = await loadConfig([file], { builtins: [...builtins, ...testPlugins], env: {} });
    const storage = await RedisStorage.connect({ url: TEST_REDIS_URL, prefix });
    const queue = new BullmqQueue({ connection: TEST_REDIS_URL, prefix, logger: silentLogger });
    const engine = new Engine({ config, storage, queue, logger: silentLogger });
    try {
      await engine.start();
      await waitFor(() => ns('fast').length === 300, 30_000, 'the fast sink to receive all 300 events');
      const stalled = await storage.positions('t', 'p.stalled');
      expect(stalled.reduce((n, p) => n + p.lag + p.pending, 0)).toBeGreaterThan(290);

      const since = Date.now();
      await new Promise((r) => setTimeout(r, 5));
      const later = Array.from({ length: 50 }, (_, i) => createEvent({ key: `k${i % 3}`, value: { n: 1000 + i } }));
      await storage.append('t', later);
      await waitFor(() => ns('fast').length === 350, 30_000, 'the fast sink to receive the 50 later events');

      received.set('fast', []);
      await storage.seek('t', 'p.fast', { to: 'time', time: since });
      await waitFor(() => ns('fast').length >= 50, 30_000, 'the replayed events');
      await new Promise((r) => setTimeout(r, 500));
      expect(ns('fast')).toEqual(later.map((e) => (e.value as { n: number }).n));
      expect(ns('stalled').length).toBeLessThan(5);
    } finally {
      await engine.stop(0, false);
      await storage.close();
    }
  }, 90_000);
});
