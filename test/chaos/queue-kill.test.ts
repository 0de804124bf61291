// Faults a fleet must survive: a worker killed with SIGKILL mid-job, a worker stopped with SIGTERM while it holds
// jobs, a leader killed, and Redis itself stopped and started again under load.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BullmqQueue } from '../../core/queue/bullmq.js';
import type { JobInfo } from '../../core/queue/queue.js';
import { deliveryJob, recordingLogger, waitFor } from '../conformance/queue.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';
import { RedisServer } from '../harness/redis-server.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/queue-worker.ts', import.meta.url));

class WorkerProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.lines.push(line));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start(env: Record<string, string>): Promise<WorkerProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const worker = new WorkerProcess(child);
    await waitFor('the worker process to start', () => worker.has('ready'), 20_000);
    return worker;
  }

  has(line: string): boolean {
    return this.lines.includes(line);
  }

  started(): string[] {
    return this.lines.filter((l) => l.startsWith('started ')).map((l) => l.split(' ')[1]);
  }
}

let admin: Redis;
const children: WorkerProcess[] = [];
const queues: BullmqQueue[] = [];
const prefixes: string[] = [];

beforeAll(async () => {
  admin = await connectTestRedis();
});
afterEach(async () => {
  for (const w of children.splice(0)) w.child.kill('SIGKILL');
  await Promise.all(queues.splice(0).map((q) => q.close(0)));
  for (const prefix of prefixes.splice(0)) await deleteKeysWithPrefix(admin, prefix);
});
afterAll(async () => {
  await admin?.quit();
});

function prefix(): string {
  const p = uniquePrefix('chaos');
  prefixes.push(p);
  return p;
}

function queue(connection: string, p: string): BullmqQueue {
  const q = new BullmqQueue({ connection, prefix: p, logger: recordingLogger().logger });
  queues.push(q);
  return q;
}

async function spawnWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const w = await WorkerProcess.start(env);
  children.push(w);
  return w;
}

describe('a worker killed with SIGKILL', () => {
  it('loses no job: another worker takes over the jobs it held within seconds', async () => {
    const p = prefix();
    const producer = queue(TEST_REDIS_URL, p);
    const ids = Array.from({ length: 20 }, (_, i) => deliveryJob(`hang-${i}`).id);
    for (let i = 0; i < 20; i++) await producer.submit(deliveryJob(`hang-${i}`), { attempts: 3 });

    const doomed = await spawnWorker({ REDIS_URL: TEST_REDIS_URL, PREFIX: p, CONCURRENCY: '4' });
    await waitFor('the worker to hold four jobs', () => doomed.started().length === 4, 10_000);
    const held = doomed.started();
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const killedAt = Date.now();

    const survivor = queue(TEST_REDIS_URL, p);
    const done = new Map<string, JobInfo>();
    const tookOverAt = new Map<string, number>();
    survivor.consume(
      async (job, info) => {
        if (held.includes(job.id)) tookOverAt.set(job.id, Date.now() - killedAt);
        done.set(job.id, info);
      },
      { subscriptions: ['orders-to-db.sinks.0'], concurrency: 8, backoff: () => 10 },
    );
    await waitFor('every job', () => done.size === 20, 20_000);
    expect([...done.keys()].sort()).toEqual([...ids].sort());
    // Within lockDuration (5 s) + 2 × stalledInterval (2 s) plus slack.
    expect(Math.max(...tookOverAt.values())).toBeLessThan(11_000);
    // A stall is not a failed attempt.
    for (const id of held) expect(done.get(id)).toMatchObject({ attempt: 1, maxAttempts: 3 });
    expect(await survivor.counts()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
  }, 60_000);

  it('hands the lead of an exclusive loop to another process within the lease', async () => {
    const p = prefix();
    const leader = await spawnWorker({ REDIS_URL: TEST_REDIS_URL, PREFIX: p, EXCLUSIVE: 'dispatcher' });
    await waitFor('the process to lead', () => leader.has('leader'), 10_000);
    const follower = queue(TEST_REDIS_URL, p);
    let ledAt = 0;
    follower.exclusive('dispatcher', async (signal) => {
      ledAt = Date.now();
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(ledAt).toBe(0);
    leader.child.kill('SIGKILL');
    await leader.exited;
    const killedAt = Date.now();
    await waitFor('the follower to lead', () => ledAt > 0, 10_000);
    // The lease is 5 s; the follower retries every second.
    expect(ledAt - killedAt).toBeLessThan(6_500);
  }, 30_000);
});

describe('a worker stopped with SIGTERM', () => {
  it('finishes what it can within the grace period, hands back the rest, and exits by itself', async () => {
    const p = prefix();
    const producer = queue(TEST_REDIS_URL, p);
    const worker = await spawnWorker({
      REDIS_URL: TEST_REDIS_URL,
      PREFIX: p,
      CONCURRENCY: '2',
      WORK_MS: '400',
      GRACE_MS: '1500',
    });
    await producer.submit(deliveryJob('quick'), { attempts: 3 });
    await producer.submit(deliveryJob('hang'), { attempts: 3 });
    await waitFor('both jobs to start', () => worker.started().length === 2, 10_000);
    const stoppedAt = Date.now();
    worker.child.kill('SIGTERM');
    const code = await worker.exited;
    const exitMs = Date.now() - stoppedAt;
    expect(code).toBe(0);
    expect(worker.has('closed')).toBe(true);
    expect(worker.has(`done ${deliveryJob('quick').id}`)).toBe(true);
    expect(exitMs).toBeGreaterThanOrEqual(1400);
    expect(exitMs).toBeLessThan(5000);

    const survivor = queue(TEST_REDIS_URL, p);
    const seen: [string, JobInfo][] = [];
    const startedAt = Date.now();
    survivor.consume(async (job, info) => void seen.push([job.id, info]), {
      subscriptions: ['orders-to-db.sinks.0'],
      concurrency: 1,
      backoff: () => 10,
    });
    await waitFor('the handed-back job', () => seen.length === 1, 5000);
    // Handed back, not stalled: it is waiting at once, not after its lock lapses, and costs no attempt.
    expect(Date.now() - startedAt).toBeLessThan(2000);
    expect(seen).toEqual([[deliveryJob('hang').id, expect.objectContaining({ attempt: 1, maxAttempts: 3 })]]);
  }, 60_000);
});

/** A Redis of the test's own that keeps every write across a restart, configured as a fleet's Redis must be. */
function startPersistentRedis(): Promise<RedisServer> {
  return RedisServer.start({
    args: ['--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction'],
  });
}

describe('Redis stopped and started again', () => {
  let redis: RedisServer | undefined;
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((q) => q.close(0)));
    await redis?.stop();
    redis = undefined;
  });

  it('resumes jobs, submits and schedules by itself once Redis is back, losing nothing', async () => {
    redis = await startPersistentRedis();
    const p = prefix();
    const q = queue(redis.url, p);
    const done = new Set<string>();
    q.consume(
      async (job) => {
        await new Promise((r) => setTimeout(r, 20));
        done.add(job.id);
      },
      { subscriptions: ['orders-to-db.sinks.0'], concurrency: 4, backoff: () => 100 },
    );
    let polls = 0;
    q.schedule('poll', 100, async () => {
      polls += 1;
      return false;
    });

    const submitted: string[] = [];
    let isSubmitting = true;
    const submitting = (async () => {
      for (let i = 0; isSubmitting; i++) {
        await q.submit(deliveryJob(i), { attempts: 5 });
        submitted.push(deliveryJob(i).id);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    await waitFor('work before the outage', () => done.size >= 20 && polls >= 3, 10_000);
    await redis.halt();
    await new Promise((r) => setTimeout(r, 3000));
    const pollsDuringOutage = polls;
    await redis.resume();
    const resumedAt = Date.now();
    await waitFor('polls after the restart', () => polls > pollsDuringOutage + 2, 15_000);
    const submittedBeforeRestart = submitted.length;
    await new Promise((r) => setTimeout(r, 1000));
    isSubmitting = false;
    await submitting;
    expect(submitted.length).toBeGreaterThan(submittedBeforeRestart + 10);
    await waitFor('every submitted job', () => submitted.every((id) => done.has(id)), 20_000);
    expect(Date.now() - resumedAt).toBeLessThan(20_000);
  }, 90_000);

  it('lets a worker stopped with SIGTERM during the outage close and exit by itself', async () => {
    redis = await startPersistentRedis();
    const p = prefix();
    const worker = await spawnWorker({ REDIS_URL: redis.url, PREFIX: p, EXCLUSIVE: 'dispatcher', GRACE_MS: '1000' });
    await waitFor('the process to lead', () => worker.has('leader'), 10_000);
    await redis.halt();
    await new Promise((r) => setTimeout(r, 1000));
    const stoppedAt = Date.now();
    worker.child.kill('SIGTERM');
    const code = await worker.exited;
    expect(code).toBe(0);
    expect(worker.has('closed')).toBe(true);
    // Reconnect cap (2 s) + grace (1 s) + BullMQ's own connection-error pause (up to 5 s) before the loop empties.
    expect(Date.now() - stoppedAt).toBeLessThan(12_000);
  }, 60_000);
});
