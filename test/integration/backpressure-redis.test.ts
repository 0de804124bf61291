// Ingest is held back before Redis fills up: above `redis.memoryLimit` of Redis maxmemory, the HTTP ingest server
// answers 429 with Retry-After and stores nothing; once memory is freed, it takes events again.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { builtins } from '../../builtins.js';
import { loadConfig } from '../../core/config/load.js';
import { MemoryQueue } from '../../core/queue/memory.js';
import { Engine } from '../../core/runtime/engine.js';
import { silentLogger } from '../../core/runtime/logger.js';
import { RedisStorage } from '../../core/storage/redis.js';
import { waitFor } from '../harness/fleet.js';
import { freePort } from '../harness/loopback.js';
import { RedisServer } from '../harness/redis-server.js';

let server: RedisServer | undefined;
afterAll(async () => {
  await server?.stop();
});

describe('ingest near the Redis memory limit', () => {
  it('answers 429 with Retry-After and stores nothing above redis.memoryLimit, and recovers when memory is freed', async () => {
    server = await RedisServer.start({ args: ['--maxmemory', '16mb', '--maxmemory-policy', 'noeviction'] });
    const filler = new Redis(server.url);
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sluice-memlimit-'));
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      `redis: { url: "${server.url}", prefix: "mem", memoryLimit: 0.7 }
pipelines:
  inbox:
    source: { type: http, host: 127.0.0.1, port: ${port}, path: /events }
    topic: inbox
`,
    );
    const config = await loadConfig([file], { builtins, env: {} });
    const storage = await RedisStorage.connect({ url: server.url, prefix: 'mem' });
    const engine = new Engine({
      config,
      storage,
      queue: new MemoryQueue({ logger: silentLogger }),
      logger: silentLogger,
    });
    try {
      await engine.start();
      const post = () =>
        fetch(`http://127.0.0.1:${port}/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ key: 'k', value: 1 }),
        });
      await waitFor(async () => (await post().catch(() => undefined))?.status === 200, 20_000, 'the ingest server');

      // 13 MB of filler puts Redis over 70 % of its 16 MB.
      const chunk = 'x'.repeat(100_000);
      for (let i = 0; i < 130; i++) await filler.set(`filler:${i}`, chunk);
      await new Promise((r) => setTimeout(r, 1100));
      const before = (await storage.topicInfo('inbox')).length;
      const refused = await post();
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await storage.topicInfo('inbox')).length).toBe(before);

      for (let i = 0; i < 130; i++) await filler.del(`filler:${i}`);
      await waitFor(async () => (await post()).status === 200, 20_000, 'ingest to resume once memory is freed');
    } finally {
      await engine.stop(0, false);
      await storage.close();
      filler.disconnect();
    }
  }, 60_000);
});
