import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullmqQueue } from '../../core/queue/bullmq.js';
import { listWorkers } from '../../core/queue/worker-registry.js';
import { silentLogger } from '../../core/runtime/logger.js';
import { RedisKeys } from '../../core/storage/keys.js';
import { deliveryJob, describeQueueConformance, waitFor } from '../conformance/queue.js';
import { bullmqFleet } from '../harness/bullmq-fleet.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';

let admin: Redis;
beforeAll(async () => {
  admin = await connectTestRedis();
});
afterAll(async () => {
  await admin?.quit();
});

const fleet = () => bullmqFleet(TEST_REDIS_URL, uniquePrefix('queue'), (prefix) => deleteKeysWithPrefix(admin, prefix));

describeQueueConformance('bullmq', () => fleet(), { sharesJobs: true, takeoverMs: 2000 });

/** Holds the event loop for `ms`, as a heavy synchronous processor would. */
function block(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Nothing else runs: neither timers nor BullMQ's lock renewal.
  }
}

describe('BullmqQueue', () => {
  it("says a job is its run's after a long synchronous step once the lock is confirmed, and not before", async () => {
    const prefix = uniquePrefix('queue');
    const q = new BullmqQueue({ connection: TEST_REDIS_URL, prefix, logger: silentLogger, lockDurationMs: 2000 });
    const seen: Array<[string, boolean]> = [];
    try {
      q.consume(
        async (_job, info) => {
          seen.push(['at start', info.isOwned()]);
          // Past half the lock with no timer turn, and nearly the lock since the job started: it may be lost.
          block(1700);
          seen.push(['after a block near the lock', info.isOwned()]);
          // Timers ran again, the lock not yet confirmed: the stall is remembered, so it still may be lost.
          await new Promise((r) => setTimeout(r, 250));
          seen.push(['once timers ran again', info.isOwned()]);
          // It was not (the lock lasts 2 s): confirmed, the next steps are the run's, a long one included. (A machine
          // that stalls this process 300 ms more lets the lock lapse: then the run has lost it and must say so.)
          const isConfirmed = await info.confirmHeld().then(
            () => true,
            () => false,
          );
          block(1200);
          seen.push([isConfirmed ? 'after a shorter block, confirmed before it' : 'lost', info.isOwned()]);
        },
        { subscriptions: ['orders-to-db.sinks.0'], concurrency: 1, backoff: () => 10 },
      );
      await q.submit(deliveryJob(11), { attempts: 1 });
      await waitFor('the job to run', async () => seen.length === 4);
      expect(seen.slice(0, 3)).toEqual([
        ['at start', true],
        ['after a block near the lock', false],
        ['once timers ran again', false],
      ]);
      const isLost = seen[3][0] === 'lost';
      expect(seen[3]).toEqual(isLost ? ['lost', false] : ['after a shorter block, confirmed before it', true]);
    } finally {
      await q.close(1000);
      await deleteKeysWithPrefix(admin, prefix);
    }
  }, 30_000);

  it('keeps every key it writes under its prefix', async () => {
    const f = fleet();
    const q = f.member();
    q.consume(async () => {}, { subscriptions: ['orders-to-db.sinks.0'], concurrency: 1, backoff: () => 10 });
    q.schedule('poll', 50, async () => false);
    await q.submit(deliveryJob(1), { attempts: 1 });
    await waitFor('the job', async () => (await q.counts()).waiting === 0 && (await q.counts()).active === 0);
    const keys = await admin.keys(`${f.prefix}:*`);
    expect(keys.length).toBeGreaterThan(0);
    await f.cleanup();
    expect(await admin.keys(`${f.prefix}:*`)).toEqual([]);
  });

  it('lists live workers with their host, pid and the jobs they hold, and drops them on close', async () => {
    const f = fleet();
    const keys = new RedisKeys(f.prefix);
    const q = f.member();
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    q.consume(() => held, { subscriptions: ['orders-to-db.sinks.0'], concurrency: 1, backoff: () => 10 });
    await q.submit(deliveryJob(7), { attempts: 4 });
    await waitFor('the held job in the heartbeat', async () => {
      const workers = await listWorkers(admin, keys);
      return workers.length === 1 && workers[0].jobs.length === 1;
    });
    const [worker] = await listWorkers(admin, keys);
    expect(worker).toMatchObject({ id: q.workerId, pid: process.pid, version: '0.0.0-test' });
    expect(worker.jobs[0]).toMatchObject({ id: deliveryJob(7).id, pipeline: 'orders-to-db', sink: 0, attempt: 1 });
    release();
    await q.close(1000);
    expect(await listWorkers(admin, keys)).toEqual([]);
    await f.cleanup();
  });

  it('keeps a failed job for inspection without blocking its range from being submitted again', async () => {
    const f = fleet();
    const q = f.member();
    let runs = 0;
    q.consume(
      async () => {
        runs += 1;
        if (runs === 1) throw new Error('table "positions" does not exist');
      },
      { subscriptions: ['orders-to-db.sinks.0'], concurrency: 1, backoff: () => 10 },
    );
    await q.submit(deliveryJob(1), { attempts: 1 });
    await waitFor('the failure', async () => (await q.counts()).failed === 1);
    await q.submit(deliveryJob(1), { attempts: 1 });
    await waitFor('the second run', () => runs === 2);
    expect((await q.counts()).failed).toBe(1);
    await f.cleanup();
  });

  it('tells a run whose job was given to another worker, and leaves the job to that worker', async () => {
    const f = fleet();
    const q = f.member();
    const outcomes: string[] = [];
    q.consume(
      async (_job, info) => {
        if (outcomes.length === 0) {
          // What the fleet does to a run frozen past its lock: the lock is another worker's now (for a moment here,
          // so that the stalled check hands the job out again).
          const [lock] = await admin.keys(`${f.prefix}:*:lock`);
          await admin.set(lock, 'another-worker', 'PX', 300);
        }
        try {
          await info.confirmHeld();
          outcomes.push(`held, attempt ${info.attempt}`);
        } catch (err) {
          outcomes.push((err as { code?: string }).code ?? String(err));
          throw err;
        }
      },
      { subscriptions: ['orders-to-db.sinks.0'], concurrency: 1, backoff: () => 10 },
    );
    await q.submit(deliveryJob(1), { attempts: 3 });
    await waitFor('the job run again', () => outcomes.length === 2, 20_000);
    // Neither failed nor completed by the run that lost it, and no attempt spent on it.
    expect(outcomes).toEqual(['E_JOB_LOST', 'held, attempt 1']);
    await waitFor('the job done', async () => (await q.counts()).active === 0);
    expect((await q.counts()).failed).toBe(0);
    await f.cleanup();
  });

  it('spreads the exclusive loops of a group over the workers that run it, and takes them all back when one leaves', async () => {
    const f = fleet();
    const running = new Map<string, string>();
    const start = (who: string) => {
      const q = f.member();
      for (let p = 0; p < 6; p++) {
        q.exclusive(
          `dispatch:orders.db:${p}`,
          async (signal) => {
            // At most one holder at a time, whatever the hand-overs.
            expect(running.get(`p${p}`)).toBeUndefined();
            running.set(`p${p}`, who);
            await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
            running.delete(`p${p}`);
          },
          { group: 'dispatch:orders.db' },
        );
      }
      return q;
    };
    const held = (who: string) => [...running.values()].filter((w) => w === who).length;
    start('a');
    await waitFor('a to hold all six', async () => held('a') === 6, 15_000);
    const b = start('b');
    await waitFor('three each', async () => held('a') === 3 && held('b') === 3, 30_000);
    await b.close(0);
    await waitFor('a to hold all six again', async () => held('a') === 6, 30_000);
    await f.cleanup();
  }, 90_000);
});
