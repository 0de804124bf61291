// `npx tsx bench/stream-layout.ts [events]`: what one stream entry per event costs against one entry per request
// (Kafka's record batches), measured on the machine's Redis with ioredis as Sluice uses it. Three ways to store
// requests of 100 events of 200 B: pipelined XADDs (raw's ingest), one script call that XADDs each event (Sluice's
// append), one XADD of the request's NDJSON; each then read back with XREADGROUP (1 000 events a call), every value
// parsed, and acknowledged with XACK. Prints, per event: this process's CPU (ioredis and the parsing) for writing
// and for reading, Redis's own time (its `INFO commandstats` before and after; other clients of the same Redis
// are counted too, so run it on a quiet one) and the stream's memory. Keys live under a prefix of this run and
// are deleted afterwards.
import type { Redis } from 'ioredis';
import { connectRedis, redisCommandMicros, runPrefix } from './harness/bench-redis.js';
import { cpuMicrosSince } from './harness/stats.js';

const EVENTS = Number(process.argv[2] ?? 200_000);
const PER_REQUEST = 100;
const VALUE = JSON.stringify({ seq: 1, pad: 'x'.repeat(180) });
const APPEND = "for i = 1, #ARGV do redis.call('XADD', KEYS[1], '*', 'j', ARGV[i]) end return #ARGV";

type Layout = 'entry per event, pipelined XADD' | 'entry per event, one script' | 'entry per request';

async function write(redis: Redis, layout: Layout, key: string): Promise<void> {
  for (let i = 0; i < EVENTS; i += PER_REQUEST) {
    const values = new Array<string>(PER_REQUEST).fill(VALUE);
    if (layout === 'entry per event, pipelined XADD') {
      const pipeline = redis.pipeline();
      for (const v of values) pipeline.xadd(key, '*', 'j', v);
      await pipeline.exec();
    } else if (layout === 'entry per event, one script') {
      await redis.eval(APPEND, 1, key, ...values);
    } else {
      await redis.xadd(key, '*', 'n', String(PER_REQUEST), 'b', values.join('\n'));
    }
  }
}

async function read(redis: Redis, layout: Layout, key: string): Promise<void> {
  const isBatched = layout === 'entry per request';
  for (let got = 0; got < EVENTS; ) {
    const reply = (await redis.xreadgroup(
      'GROUP',
      'g',
      'c',
      'COUNT',
      isBatched ? 1000 / PER_REQUEST : 1000,
      'STREAMS',
      key,
      '>',
    )) as [string, [string, string[]][]][];
    const entries = reply[0][1];
    for (const [, fields] of entries) {
      if (!isBatched) {
        JSON.parse(fields[1]);
        got++;
      } else {
        for (const line of fields[3].split('\n')) {
          JSON.parse(line);
          got++;
        }
      }
    }
    await redis.xack(key, 'g', ...entries.map(([id]) => id));
  }
}

async function measure(redis: Redis, layout: Layout, key: string) {
  await redis.xgroup('CREATE', key, 'g', '0', 'MKSTREAM');
  const redisAtStart = await redisCommandMicros(redis);
  let cpu = process.cpuUsage();
  await write(redis, layout, key);
  const writeCpu = cpuMicrosSince(cpu);
  const redisAfterWrite = await redisCommandMicros(redis);
  const bytes = (await redis.memory('USAGE', key)) ?? 0;
  cpu = process.cpuUsage();
  await read(redis, layout, key);
  const readCpu = cpuMicrosSince(cpu);
  const redisAtEnd = await redisCommandMicros(redis);
  await redis.del(key);
  const per = (n: number) => (n / EVENTS).toFixed(2);
  return {
    layout,
    'client µs/ev write': per(writeCpu),
    'client µs/ev read+ack': per(readCpu),
    'Redis µs/ev write': per(redisAfterWrite - redisAtStart),
    'Redis µs/ev read+ack': per(redisAtEnd - redisAfterWrite),
    'bytes/ev': (bytes / EVENTS).toFixed(0),
  };
}

const redis = await connectRedis();
const prefix = runPrefix();
try {
  const rows = [];
  // A first round warms the JIT and Redis up; the second is printed.
  for (const round of [0, 1]) {
    for (const layout of [
      'entry per event, pipelined XADD',
      'entry per event, one script',
      'entry per request',
    ] as const) {
      const row = await measure(redis, layout, `${prefix}:layout:${round}`);
      if (round === 1) rows.push(row);
    }
  }
  console.table(rows);
} finally {
  redis.disconnect();
}
