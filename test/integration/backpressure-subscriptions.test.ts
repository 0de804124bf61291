// Backpressure counts every subscription of a topic. In the layout of templates/pipelines/http-to-http.yaml the
// HTTP source's pipeline has no sinks of its own and a second pipeline subscribes to its topic: when that sink
// stops taking events, the ingest server must answer 429 once the topic holds `maxLag` undelivered events, both
// embedded and on Redis.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { builtins } from '../../builtins.js';
import { loadConfig } from '../../core/config/load.js';
import { MemoryQueue } from '../../core/queue/memory.js';
import { Engine } from '../../core/runtime/engine.js';
import { silentLogger } from '../../core/runtime/logger.js';
import { MemoryStorage } from '../../core/storage/memory.js';
import { RedisStorage } from '../../core/storage/redis.js';
import type { Storage } from '../../core/storage/storage.js';
import { waitFor } from '../conformance/queue.js';
import { freePort } from '../harness/loopback.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';
import { resetTestPlugins, testPlugins } from '../harness/test-plugins.js';

const MAX_LAG = 50;
const PER_REQUEST = 10;

let admin: Redis;
beforeAll(async () => {
  admin = await connectTestRedis();
});
afterAll(async () => {
  await admin?.quit();
});
beforeEach(() => resetTestPlugins());

const drivers: Record<string, () => Promise<{ storage: Storage; cleanup: () => Promise<void> }>> = {
  embedded: async () => ({ storage: new MemoryStorage(), cleanup: async () => {} }),
  redis: async () => {
    const prefix = uniquePrefix('lagsubs');
    const storage = await RedisStorage.connect({ url: TEST_REDIS_URL, prefix });
    return {
      storage,
      cleanup: async () => {
        await storage.close();
        await deleteKeysWithPrefix(admin, prefix);
      },
    };
  },
};

describe('maxLag backpressure with the source and the sink in separate pipelines', () => {
  for (const [mode, open] of Object.entries(drivers)) {
    it(`answers 429 once the subscribing pipeline's sink falls maxLag behind (${mode})`, async () => {
      const port = await freePort();
      const file = join(mkdtempSync(join(tmpdir(), 'sluice-lagsubs-')), 'p.yaml');
      // The sink takes ten minutes per batch: nothing is acknowledged during the test.
      writeFileSync(
        file,
        `topics: { inbox: { maxLag: ${MAX_LAG}, partitions: 1 } }
pipelines:
  http-in:
    source: { type: http, host: 127.0.0.1, port: ${port}, path: /events }
    topic: inbox
  inbox-to-sink:
    topic: inbox
    sinks: [ { type: test-record, id: stuck, delayMs: 600000, batch: { maxEvents: 5 } } ]
`,
      );
      const config = await loadConfig([file], { builtins: [...builtins, ...testPlugins], env: {} });
      const { storage, cleanup } = await open();
      const engine = new Engine({
        config,
        storage,
        queue: new MemoryQueue({ logger: silentLogger }),
        logger: silentLogger,
      });
      try {
        await engine.start();
        const post = (n: number) =>
          fetch(`http://127.0.0.1:${port}/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-ndjson' },
            body: Array.from({ length: PER_REQUEST }, (_, i) => JSON.stringify({ key: 'k', value: n + i })).join('\n'),
          });
        await waitFor('the ingest server', async () => (await post(0).catch(() => undefined))?.status === 200, 20_000);
        let status = 200;
        let requests = 1;
        while (status === 200 && requests < 40) status = (await post(requests++ * PER_REQUEST)).status;
        expect(status).toBe(429);
        const stored = (await storage.topicInfo('inbox')).length;
        expect(stored).toBeGreaterThanOrEqual(MAX_LAG);
        expect(stored).toBeLessThan(MAX_LAG + 2 * PER_REQUEST);
      } finally {
        await engine.stop(0, false);
        await cleanup();
      }
    }, 60_000);
  }
});
