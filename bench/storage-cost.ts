// `npx tsx bench/storage-cost.ts [events] [valueBytes]`: what the Redis storage driver costs per event, apart from
// everything around it. Appends events of about 200 B (a keyed JSON object) in appends of 100, then claims them
// 1 000 at a time, reads every value and acknowledges them, and prints per event: this process's CPU for appending
// and for claiming + acknowledging, Redis's own time for each (its `INFO commandstats` before and after: other
// clients of the same Redis count too, so run it on a quiet one) and the stream's memory. Three rounds; the first
// warms the JIT and Redis up and is not printed. Keys live under a prefix of this run and are deleted afterwards.
import type { Redis } from 'ioredis';
import { createEvent, type SluiceEvent } from '../core/event.js';
import { RedisStorage } from '../core/storage/redis.js';
import { connectRedis, deleteKeys, REDIS_URL, redisCommandMicros, runPrefix } from './harness/bench-redis.js';
import { cpuMicrosSince } from './harness/stats.js';

const EVENTS = Number(process.argv[2] ?? 200_000);
const VALUE_BYTES = Number(process.argv[3] ?? 200);
const PER_APPEND = 100;
const PER_CLAIM = 1000;

const pad = 'x'.repeat(Math.max(0, VALUE_BYTES - 50));
const eventOf = (i: number): SluiceEvent =>
  createEvent({ key: `car-${i % 50}`, value: { seq: i, speed: i % 130, pad }, ts: 1_790_000_000_000 + i });

async function measure(redis: Redis, storage: RedisStorage, topic: string) {
  await storage.ensureTopic({ name: topic, partitions: 1 });
  await storage.ensureSubscription(topic, 'out', 'beginning');
  const batch = Array.from({ length: PER_APPEND }, (_, i) => eventOf(i));
  const redisAtStart = await redisCommandMicros(redis);
  let cpu = process.cpuUsage();
  for (let i = 0; i < EVENTS; i += PER_APPEND) await storage.append(topic, batch);
  const appendCpu = cpuMicrosSince(cpu);
  const redisAfterAppend = await redisCommandMicros(redis);
  const bytes = (await redis.memory('USAGE', storage.keys.partition(topic, 0))) ?? 0;
  cpu = process.cpuUsage();
  let sum = 0;
  for (let got = 0; got < EVENTS; ) {
    const events = await storage.claim(topic, 'out', 0, { count: PER_CLAIM, consumer: 'c' });
    for (const e of events) sum += (e.value as { seq: number }).seq;
    got += events.length;
    await storage.ack(
      topic,
      'out',
      0,
      events.map((e) => e.id),
    );
  }
  const claimCpu = cpuMicrosSince(cpu);
  const redisAtEnd = await redisCommandMicros(redis);
  if (sum < 0) throw new Error('unreachable: keeps the value reads from being optimised away');
  const per = (n: number) => (n / EVENTS).toFixed(2);
  return {
    'client µs/ev append': per(appendCpu),
    'client µs/ev claim+ack': per(claimCpu),
    'Redis µs/ev append': per(redisAfterAppend - redisAtStart),
    'Redis µs/ev claim+ack': per(redisAtEnd - redisAfterAppend),
    'bytes/ev': (bytes / EVENTS).toFixed(0),
  };
}

const redis = await connectRedis();
const prefix = runPrefix();
const storage = await RedisStorage.connect({ url: REDIS_URL, prefix });
try {
  const rows = [];
  for (const round of [0, 1, 2]) {
    const row = await measure(redis, storage, `cost-${round}`);
    if (round > 0) rows.push(row);
  }
  console.table(rows);
} finally {
  await storage.close();
  await deleteKeys(redis, prefix);
  redis.disconnect();
}
