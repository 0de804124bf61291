// What a delivered batch costs in Redis round trips in the steady state: every command the delivering process
// sends to Redis (storage, queue, locks) while events arrive at a moderate rate and leave in batches, divided by
// the batches delivered. Commands sent by the appending client are not the delivery path's and are left out.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { builtins } from '../../builtins.js';
import { loadConfig } from '../../core/config/load.js';
import { createEvent } from '../../core/event.js';
import { BullmqQueue } from '../../core/queue/bullmq.js';
import { Engine } from '../../core/runtime/engine.js';
import { silentLogger } from '../../core/runtime/logger.js';
import { RedisStorage } from '../../core/storage/redis.js';
import { waitFor } from '../conformance/queue.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';
import { received, resetTestPlugins, testPlugins } from '../harness/test-plugins.js';

const PIPELINE = `
pipelines:
  out:
    topic: orders
    sinks: [ { type: test-record, id: out, batch: { maxEvents: 100 } } ]
`;

let admin: Redis;
const prefix = uniquePrefix('round-trips');
const cleanups: Array<() => Promise<unknown>> = [];

/** Counts the commands every ioredis client sends, except those of `excluded` clients. */
function countCommands(excluded: Set<unknown>): { count(): number; names: Map<string, number>; stop(): void } {
  const original = Redis.prototype.sendCommand;
  let count = 0;
  const names = new Map<string, number>();
  Redis.prototype.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    if (!excluded.has(this)) {
      count++;
      const name = args[0].name;
      names.set(name, (names.get(name) ?? 0) + 1);
    }
    return original.apply(this, args);
  };
  return { count: () => count, names, stop: () => (Redis.prototype.sendCommand = original) };
}

beforeAll(async () => {
  admin = await connectTestRedis();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  resetTestPlugins();
});
afterAll(async () => {
  await deleteKeysWithPrefix(admin, prefix);
  await admin?.quit();
});

describe('Redis round trips of the delivery path', () => {
  it('takes at most 3 round trips per delivered batch in the steady state', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-rt-')), 'p.yaml');
    writeFileSync(file, PIPELINE);
    const config = await loadConfig([file], { builtins: [...builtins, ...testPlugins], env: {} });
    const storage = await RedisStorage.connect({ url: TEST_REDIS_URL, prefix });
    const appender = await RedisStorage.connect({ url: TEST_REDIS_URL, prefix });
    const queue = new BullmqQueue({ connection: TEST_REDIS_URL, prefix, workerId: 'rt', logger: silentLogger });
    const engine = new Engine({ config, storage, queue, logger: silentLogger, workerId: 'rt' });
    cleanups.push(
      () => appender.close(),
      () => storage.close(),
      () => queue.close(0),
      () => engine.stop(0),
    );
    await engine.start();
    const delivered = () => received.get('out')?.length ?? 0;
    const send = async (from: number, count: number) => {
      const events = Array.from({ length: count }, (_, i) => createEvent({ key: 'k', value: { n: from + i } }));
      await appender.append('orders', events);
    };
    // Warm up: scripts loaded, queues listed, leases taken.
    await send(0, 100);
    await waitFor('the warm-up batch', () => delivered() === 100, 20_000);

    // One batch at a time, the next sent as soon as the last arrived. Time-driven housekeeping (lease renewals,
    // heartbeats, the control poll) is not the batches' cost: it is measured as long again with nothing to deliver,
    // and taken off.
    const batches = 100;
    const busy = countCommands(new Set([(appender as unknown as { client: unknown }).client]));
    const startedAt = Date.now();
    try {
      for (let b = 0; b < batches; b++) {
        const before = delivered();
        await send(100 + b * 100, 100);
        while (delivered() < before + 100) await new Promise((r) => setTimeout(r, 1));
      }
    } finally {
      busy.stop();
    }
    const idle = countCommands(new Set());
    await new Promise((r) => setTimeout(r, Date.now() - startedAt));
    idle.stop();
    const perBatch = (busy.count() - idle.count()) / batches;
    const byName = [...busy.names].map(([name, n]) => `${name} ${(n / batches).toFixed(2)}`).join(', ');
    process.stdout.write(
      `Redis round trips per delivered batch: ${perBatch.toFixed(2)} (all commands while delivering, per batch: ${byName}; idle as long: ${idle.count()})\n`,
    );
    expect(delivered()).toBe(100 + batches * 100);
    expect(perBatch).toBeLessThanOrEqual(3);
  });
});
