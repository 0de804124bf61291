// A worker killed between claiming events and submitting their job leaves them pending; the dispatcher that takes
// over re-submits every pending event. When a live job still runs a range that starts where the recovery batch
// starts, the recovery job must not be mistaken for it: both run, and every event ends acknowledged.
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SinkSpec } from '../../core/config/pipeline-spec.js';
import { createEvent } from '../../core/event.js';
import { BullmqQueue } from '../../core/queue/bullmq.js';
import { dispatchLoop, jobFor } from '../../core/runtime/dispatch.js';
import { RedisStorage } from '../../core/storage/redis.js';
import { recordingLogger, waitFor } from '../conformance/queue.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';

const TOPIC = 'orders';
const SUBSCRIPTION = 'orders-to-db.sink';

// Only the fields the dispatcher reads: batches of up to 100 events, unordered, no batching wait.
const sink = {
  index: 0,
  subscription: SUBSCRIPTION,
  common: { ordered: false, concurrency: 4, start: 'beginning' },
  batch: { maxEvents: 100, maxWait: 0 },
  retry: { attempts: 3, baseMs: 10, capMs: 100 },
} as unknown as SinkSpec;
const target = { pipeline: 'orders-to-db', topic: TOPIC, sink, partition: 0 };

let admin: Redis;
const prefixes: string[] = [];
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  admin = await connectTestRedis();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  for (const p of prefixes.splice(0)) await deleteKeysWithPrefix(admin, p);
});
afterAll(async () => {
  await admin?.quit();
});

describe('dispatch recovery after a worker died between claim and submit', () => {
  it('delivers the claimed-but-unsubmitted events although a running job starts at the same id', async () => {
    const prefix = uniquePrefix('recovery');
    prefixes.push(prefix);
    const storage = await RedisStorage.connect({ url: TEST_REDIS_URL, prefix });
    cleanups.push(() => storage.close());
    await storage.ensureTopic({ name: TOPIC, partitions: 1 });
    await storage.ensureSubscription(TOPIC, SUBSCRIPTION, 'beginning');
    await storage.append(
      TOPIC,
      Array.from({ length: 10 }, (_, i) => createEvent({ key: 'k', value: { seq: i } })),
    );

    // A live worker claimed the first five and runs their job; it is held until the test lets it go.
    const running = await storage.claim(TOPIC, SUBSCRIPTION, 0, { count: 5, consumer: 'live' });
    const runningJob = jobFor(target, running);
    // The killed worker claimed the next five and died before it submitted their job.
    const orphaned = await storage.claim(TOPIC, SUBSCRIPTION, 0, { count: 5, consumer: 'killed' });
    expect(orphaned).toHaveLength(5);

    const { logger } = recordingLogger();
    const queue = new BullmqQueue({ connection: TEST_REDIS_URL, prefix, logger, lockDurationMs: 30_000 });
    cleanups.push(() => queue.close(0));
    let releaseRunning!: () => void;
    const runningHeld = new Promise<void>((r) => {
      releaseRunning = r;
    });
    const started: string[] = [];
    queue.consume(
      async (job) => {
        started.push(job.id);
        if (job.id === runningJob.id) await runningHeld;
        const events = await storage.read(job.topic, {
          partition: job.partition,
          fromId: job.firstId,
          toId: job.lastId,
        });
        await storage.ack(
          job.topic,
          job.subscription,
          job.partition,
          events.map((e) => e.id),
        );
      },
      { pipelines: [target.pipeline], concurrency: 4, backoff: () => 10 },
    );
    await queue.submit(runningJob, { attempts: 3 });
    await waitFor('the live job to start', () => started.includes(runningJob.id));

    // The takeover: a new dispatcher re-submits all ten pending events as one recovery batch starting at event 0.
    const stop = new AbortController();
    const loop = dispatchLoop(
      target,
      { storage, queue, logger, consumer: 'takeover', waitForAck: async () => {} },
      stop.signal,
    );
    cleanups.push(async () => {
      stop.abort();
      await loop;
    });
    await waitFor('the recovery job to run beside the live one', () => started.length >= 2, 15_000);
    releaseRunning();

    await waitFor(
      'every event to be acknowledged',
      async () => (await storage.positions(TOPIC, SUBSCRIPTION)).every((p) => p.pending === 0 && p.lag === 0),
      15_000,
    );
  });
});
