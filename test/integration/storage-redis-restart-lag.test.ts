// After a Redis restart, a consumer group's own `lag` may be wrong. Redis logs a group's reads in the append-only
// file as XCLAIMs that move its last-delivered id but not its entries-read counter, so after a rewrite of the
// file (which Redis does by itself as the file grows) and a restart, entries-read is the one from the rewrite:
// below entries-added although the group has read everything. Positions must not show events that were all
// delivered as lag, nor miscount a group that is partly caught up.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createEvent } from '../../core/event.js';
import { RedisStorage } from '../../core/storage/redis.js';
import { RedisServer } from '../harness/redis-server.js';

const TOPIC = 'gps';
const SUBSCRIPTION = 'gps-to-db.sink';
const servers: RedisServer[] = [];
const storages: RedisStorage[] = [];

afterEach(async () => {
  for (const s of storages.splice(0)) await s.close();
  for (const s of servers.splice(0)) await s.stop();
});

async function deliverAll(storage: RedisStorage, partition: number, count: number): Promise<void> {
  for (let left = count; left > 0; ) {
    const events = await storage.claim(TOPIC, SUBSCRIPTION, partition, { count: Math.min(500, left), consumer: 'w' });
    if (events.length === 0) break;
    await storage.ack(
      TOPIC,
      SUBSCRIPTION,
      partition,
      events.map((e) => e.id),
    );
    left -= events.length;
  }
}

async function rewriteAppendOnlyFile(url: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await client.bgrewriteaof();
    for (;;) {
      const info = await client.info('persistence');
      if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    client.disconnect();
  }
}

describe('positions after a Redis restart', () => {
  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`shows no lag for delivered events and the true lag for the rest after ${signal}`, async () => {
      const server = await RedisServer.start({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
      servers.push(server);
      const storage = await RedisStorage.connect({ url: server.url, prefix: 'lag', connectTimeoutMs: 5000 });
      storages.push(storage);
      await storage.ensureTopic({ name: TOPIC, partitions: 2 });
      await storage.ensureSubscription(TOPIC, SUBSCRIPTION, 'beginning');
      for (let i = 0; i < 4; i++) {
        await storage.append(
          TOPIC,
          Array.from({ length: 1000 }, (_, n) => createEvent({ key: `car-${n % 50}`, value: { n } })),
        );
      }
      const before = await storage.positions(TOPIC, SUBSCRIPTION);
      const stored = before.map((p) => p.lag);
      await deliverAll(storage, 0, 100);
      await deliverAll(storage, 1, 100);
      await rewriteAppendOnlyFile(server.url);
      // Partition 0 is delivered completely; partition 1 only up to 300 events.
      await deliverAll(storage, 0, stored[0]);
      await deliverAll(storage, 1, 200);
      expect((await storage.positions(TOPIC, SUBSCRIPTION)).map((p) => [p.pending, p.lag])).toEqual([
        [0, 0],
        [0, stored[1] - 300],
      ]);

      await server.restart({ signal });

      const after = await storage.positions(TOPIC, SUBSCRIPTION);
      expect(after.map((p) => [p.pending, p.lag])).toEqual([
        [0, 0],
        [0, stored[1] - 300],
      ]);
      // And it stays right as delivery goes on.
      await deliverAll(storage, 1, 100);
      expect((await storage.positions(TOPIC, SUBSCRIPTION))[1].lag).toBe(stored[1] - 400);
    });
  }
});
