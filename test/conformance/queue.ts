// The suite every WorkQueue driver passes: delivery jobs (dedupe, concurrency, retries with backoff and
// Retry-After, failure), schedules that never overlap across a fleet, exclusive loops with takeover, and close
// with a grace period. A driver runs it through a "fleet": members that share locks (and jobs, when the driver's
// members share jobs, as BullMQ workers on one Redis do).
import { afterEach, describe, expect, it } from 'vitest';
import { RetryableError } from '../../core/errors.js';
import type { Logger } from '../../core/plugin.js';
import type { DeliveryJob, JobInfo, WorkQueue } from '../../core/queue/queue.js';
import { backoffFor } from '../../core/queue/retry-policy.js';

export interface QueueFleet {
  /** A new member: the queue of one process of the fleet. */
  member(logger?: Logger): WorkQueue;
  /** Closes the members still open and removes whatever the fleet stored. */
  cleanup(): Promise<void>;
}

export interface QueueConformanceOptions {
  /** A job submitted on one member may run on another (members are workers on one Redis). */
  sharesJobs: boolean;
  /** Longest expected time for an exclusive loop to move to another member after its leader closed, ms. */
  takeoverMs: number;
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object | string;
  msg?: string;
}

export function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (obj: object | string, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

export function deliveryJob(n: number | string): DeliveryJob {
  return {
    id: `orders-to-db:${n}:1700000000000-0`,
    pipeline: 'orders-to-db',
    sink: 0,
    topic: 'orders',
    subscription: 'orders-to-db.sinks.0',
    partition: 3,
    firstId: '1700000000000-0',
    lastId: '1700000000000-9',
    count: 10,
  };
}

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A promise with its resolve function: lets a test hold a handler and let it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

/**
 * Submits three jobs and consumes them so that one waits for a retry a minute away, one runs until the returned
 * gate opens, and one waits behind it. `beforeConsume` sees the three submitted and not yet taken.
 */
async function holdOneOfEach(q: WorkQueue, beforeConsume?: () => Promise<void>): Promise<{ open: () => void }> {
  for (let i = 0; i < 3; i++) await q.submit(deliveryJob(i), { attempts: 2 });
  await beforeConsume?.();
  const hold = gate();
  q.consume(
    async (job) => {
      if (job.id === deliveryJob(0).id) throw new RetryableError('later');
      await hold.promise;
    },
    { subscriptions: ['orders-to-db.sinks.0'], concurrency: 1, backoff: () => 60_000 },
  );
  await waitFor('one delayed, one active, one waiting', async () => {
    const c = await q.counts();
    return c.delayed === 1 && c.active === 1 && c.waiting === 1;
  });
  return hold;
}

export function describeQueueConformance(
  name: string,
  makeFleet: () => QueueFleet | Promise<QueueFleet>,
  options: QueueConformanceOptions,
): void {
  describe(`WorkQueue conformance: ${name}`, () => {
    let fleet: QueueFleet | undefined;
    const open = async () => {
      fleet = await makeFleet();
      return fleet;
    };
    afterEach(async () => {
      await fleet?.cleanup();
      fleet = undefined;
    });

    describe('delivery jobs', () => {
      it('delivers a submitted job to the consumer as attempt 1 of its attempts', async () => {
        const q = (await open()).member();
        const seen: [DeliveryJob, JobInfo][] = [];
        q.consume(async (job, info) => void seen.push([job, info]), {
          subscriptions: ['orders-to-db.sinks.0'],
          concurrency: 1,
          backoff: () => 10,
        });
        await q.submit(deliveryJob(1), { attempts: 3 });
        await waitFor('the job', () => seen.length === 1);
        expect(seen[0]).toEqual([deliveryJob(1), expect.objectContaining({ attempt: 1, maxAttempts: 3 })]);
      });

      it('runs jobs submitted before consume() once consuming starts, in order', async () => {
        const q = (await open()).member();
        for (let i = 0; i < 5; i++) await q.submit(deliveryJob(i), { attempts: 1 });
        const seen: string[] = [];
        q.consume(async (job) => void seen.push(job.id), {
          subscriptions: ['orders-to-db.sinks.0'],
          concurrency: 1,
          backoff: () => 10,
        });
        await waitFor('five jobs', () => seen.length === 5);
        expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => deliveryJob(i).id));
      });

      it('does not queue a job again while one with its id is queued or running, but does once it is done', async () => {
        const q = (await open()).member();
        await q.submit(deliveryJob('a'), { attempts: 1 });
        await q.submit(deliveryJob('a'), { attempts: 1 });
        const hold = gate();
        let runs = 0;
        q.consume(
          async () => {
            runs += 1;
            await hold.promise;
          },
          { subscriptions: ['orders-to-db.sinks.0'], concurrency: 4, backoff: () => 10 },
        );
        await waitFor('the first run', () => runs === 1);
        await q.submit(deliveryJob('a'), { attempts: 1 });
        await sleep(150);
        expect(runs).toBe(1);
        hold.open();
        await waitFor('the job to finish', async () => (await q.counts()).active === 0);
        await q.submit(deliveryJob('a'), { attempts: 1 });
        await waitFor('the second run', () => runs === 2);
      });

      it('runs at most `concurrency` jobs at once, and that many in parallel', async () => {
        const q = (await open()).member();
        let running = 0;
        let most = 0;
        let done = 0;
        q.consume(
          async () => {
            running += 1;
            most = Math.max(most, running);
            await sleep(80);
            running -= 1;
            done += 1;
          },
          { subscriptions: ['orders-to-db.sinks.0'], concurrency: 3, backoff: () => 10 },
        );
        for (let i = 0; i < 9; i++) await q.submit(deliveryJob(i), { attempts: 1 });
        await waitFor('nine jobs', () => done === 9);
        expect(most).toBe(3);
      });

      it('retries a failing job after the backoff, passing the attempt number and the error', async () => {
        const q = (await open()).member();
        const attempts: JobInfo[] = [];
        const startedAt: number[] = [];
        const backoffCalls: [number, string, string][] = [];
        q.consume(
          async (_job, info) => {
            attempts.push(info);
            startedAt.push(Date.now());
            if (info.attempt < 3) throw new RetryableError(`boom ${info.attempt}`);
          },
          {
            subscriptions: ['orders-to-db.sinks.0'],
            concurrency: 1,
            backoff: (attempt, error, job) => {
              backoffCalls.push([attempt, (error as Error).message, job.id]);
              return 120;
            },
          },
        );
        await q.submit(deliveryJob(1), { attempts: 5 });
        await waitFor('the third attempt', () => attempts.length === 3);
        expect(attempts).toEqual([
          expect.objectContaining({ attempt: 1, maxAttempts: 5 }),
          expect.objectContaining({ attempt: 2, maxAttempts: 5 }),
          expect.objectContaining({ attempt: 3, maxAttempts: 5 }),
        ]);
        expect(backoffCalls).toEqual([
          [1, 'boom 1', deliveryJob(1).id],
          [2, 'boom 2', deliveryJob(1).id],
        ]);
        expect(startedAt[1] - startedAt[0]).toBeGreaterThanOrEqual(110);
        expect(startedAt[2] - startedAt[1]).toBeGreaterThanOrEqual(110);
        await sleep(100);
        expect(attempts).toHaveLength(3);
      });

      it('gives up after the last attempt, counts the job as failed, and accepts its range again later', async () => {
        const q = (await open()).member(recordingLogger().logger);
        let runs = 0;
        q.consume(
          async () => {
            runs += 1;
            throw new RetryableError('HTTP 503 from https://warehouse.example');
          },
          { subscriptions: ['orders-to-db.sinks.0'], concurrency: 1, backoff: () => 20 },
        );
        await q.submit(deliveryJob(1), { attempts: 2 });
        await waitFor('the job to fail', async () => (await q.counts()).failed === 1);
        expect(runs).toBe(2);
        await sleep(100);
        expect(runs).toBe(2);
        await q.submit(deliveryJob(1), { attempts: 1 });
        await waitFor('the resubmitted job to run', () => runs === 3);
      });

      it('waits at least the retryAfterMs carried by the error before the next attempt', async () => {
        const q = (await open()).member();
        const startedAt: number[] = [];
        q.consume(
          async () => {
            startedAt.push(Date.now());
            if (startedAt.length === 1) throw new RetryableError('HTTP 429', { retryAfterMs: 600 });
          },
          { subscriptions: ['orders-to-db.sinks.0'], concurrency: 1, backoff: backoffFor({ baseMs: 1, capMs: 5 }) },
        );
        await q.submit(deliveryJob(1), { attempts: 3 });
        await waitFor('the retry', () => startedAt.length === 2);
        expect(startedAt[1] - startedAt[0]).toBeGreaterThanOrEqual(590);
      });

      it('reports waiting, active and delayed jobs in counts()', async () => {
        const q = (await open()).member();
        const hold = await holdOneOfEach(q, async () =>
          expect(await q.counts()).toEqual({ waiting: 3, active: 0, delayed: 0, failed: 0 }),
        );
        hold.open();
      });

      it("lists a subscription's waiting, delayed and running jobs in liveJobs(), for recovery", async () => {
        const q = (await open()).member();
        const hold = await holdOneOfEach(q);
        const live = await q.liveJobs('orders-to-db.sinks.0');
        expect(live.map((j) => j.id).sort()).toEqual([0, 1, 2].map((i) => deliveryJob(i).id).sort());
        expect(await q.liveJobs('orders-to-archive.sinks.0')).toEqual([]);
        hold.open();
      });

      if (options.sharesJobs) {
        it('runs a job submitted on one member on another member of the fleet', async () => {
          const f = await open();
          const producer = f.member();
          const worker = f.member();
          const seen: string[] = [];
          worker.consume(async (job) => void seen.push(job.id), {
            subscriptions: ['orders-to-db.sinks.0'],
            concurrency: 1,
            backoff: () => 10,
          });
          await producer.submit(deliveryJob(1), { attempts: 1 });
          await waitFor('the job on the other member', () => seen.length === 1);
        });
      }
    });

    describe('schedules', () => {
      it('never runs a scheduled task twice at once, even on two members of the fleet', async () => {
        const f = await open();
        let running = 0;
        let most = 0;
        let runs = 0;
        const task = async () => {
          running += 1;
          most = Math.max(most, running);
          runs += 1;
          await sleep(40);
          running -= 1;
          return false;
        };
        f.member().schedule('poll-orders', 60, task);
        f.member().schedule('poll-orders', 60, task);
        await sleep(1500);
        expect(most).toBe(1);
        // Once per period for the fleet: about 1500 / (40 + 60) runs, not twice that.
        expect(runs).toBeGreaterThanOrEqual(5);
        expect(runs).toBeLessThanOrEqual(20);
      });

      it('runs the task again at once while it reports more to do', async () => {
        const q = (await open()).member();
        let runs = 0;
        q.schedule('drain', 60_000, async () => {
          runs += 1;
          return runs < 6;
        });
        await waitFor('six runs in a row', () => runs === 6, 3000);
        await sleep(200);
        expect(runs).toBe(6);
      });

      it('keeps the schedule going after the task throws, and logs the failure', async () => {
        const { logger, lines } = recordingLogger();
        const q = (await open()).member(logger);
        let runs = 0;
        q.schedule('flaky', 50, async () => {
          runs += 1;
          if (runs === 1) throw new Error('FTP 421 from ftp.example: too many connections');
          return false;
        });
        await waitFor('a run after the failure', () => runs >= 2, 3000);
        expect(lines.some((l) => l.level === 'error' && JSON.stringify(l).includes('FTP 421'))).toBe(true);
      });
    });

    describe('exclusive loops', () => {
      it('runs an exclusive loop on one member only, and another takes over when the leader closes', async () => {
        const f = await open();
        const members = [f.member(), f.member()];
        const leaders: number[] = [];
        const aborted: number[] = [];
        members.forEach((m, i) => {
          m.exclusive('dispatcher', async (signal) => {
            leaders.push(i);
            await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
            aborted.push(i);
          });
        });
        await waitFor('a leader', () => leaders.length === 1, 5000);
        await sleep(500);
        expect(leaders).toHaveLength(1);
        const first = leaders[0];
        await members[first].close(1000);
        expect(aborted).toEqual([first]);
        await waitFor('the other member to take over', () => leaders.length === 2, options.takeoverMs);
        expect(leaders[1]).toBe(1 - first);
      });

      it('aborts the loop signal on close and waits for the loop to return', async () => {
        const q = (await open()).member();
        let started = false;
        let returned = false;
        q.exclusive('tail', async (signal) => {
          started = true;
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
          await sleep(50);
          returned = true;
        });
        await waitFor('the loop', () => started, 5000);
        await q.close(2000);
        expect(returned).toBe(true);
      });
    });

    describe('close', () => {
      it('lets a running job finish within the grace period', async () => {
        const q = (await open()).member();
        let finished = false;
        let started = false;
        q.consume(
          async () => {
            started = true;
            await sleep(300);
            finished = true;
          },
          { subscriptions: ['orders-to-db.sinks.0'], concurrency: 1, backoff: () => 10 },
        );
        await q.submit(deliveryJob(1), { attempts: 1 });
        await waitFor('the job to start', () => started);
        await q.close(5000);
        expect(finished).toBe(true);
      });

      it('returns soon after the grace period when a job runs longer', async () => {
        const q = (await open()).member(recordingLogger().logger);
        let started = false;
        const never = gate();
        q.consume(
          async () => {
            started = true;
            await never.promise;
          },
          { subscriptions: ['orders-to-db.sinks.0'], concurrency: 1, backoff: () => 10 },
        );
        await q.submit(deliveryJob(1), { attempts: 1 });
        await waitFor('the job to start', () => started);
        const closingAt = Date.now();
        await q.close(300);
        expect(Date.now() - closingAt).toBeLessThan(3000);
        never.open();
      });

      if (options.sharesJobs) {
        it('hands an unfinished job back on close, so another member runs it without spending an attempt', async () => {
          const f = await open();
          const first = f.member(recordingLogger().logger);
          const second = f.member();
          const never = gate();
          let startedOnFirst = false;
          first.consume(
            async () => {
              startedOnFirst = true;
              await never.promise;
            },
            { subscriptions: ['orders-to-db.sinks.0'], concurrency: 1, backoff: () => 10 },
          );
          await first.submit(deliveryJob(1), { attempts: 3 });
          await waitFor('the job on the first member', () => startedOnFirst);
          const seen: JobInfo[] = [];
          second.consume(async (_job, info) => void seen.push(info), {
            subscriptions: ['orders-to-db.sinks.0'],
            concurrency: 1,
            backoff: () => 10,
          });
          const closingAt = Date.now();
          await first.close(200);
          await waitFor('the job on the second member', () => seen.length === 1, 3000);
          expect(Date.now() - closingAt).toBeLessThan(3000);
          expect(seen[0]).toEqual(expect.objectContaining({ attempt: 1, maxAttempts: 3 }));
          never.open();
        });
      }
    });
  });
}
