// The work queue of a fleet: delivery jobs are BullMQ jobs on Redis, one BullMQ queue per subscription (a sink of a
// pipeline), each run by a BullMQ worker in every process that has that sink, so a process takes only jobs it can
// do and leaves the others queued (a rolling deploy, workers with different files). A job names a range of stored
// events (never one event). Retries use BullMQ's delayed jobs with our backoff.
// Schedules and exclusive loops are leases in Redis (see scheduled-task.ts and exclusive-loop.ts), not BullMQ
// job schedulers: a job scheduler enqueues the next run when the current one *starts*, so a poll that outlasts
// its period runs twice at once on two workers, and a poll whose job lock lapses (a long GC pause) is re-run
// while the first run goes on. A lease is held for the whole run, renewed, and its loss aborts the run.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type ConnectionOptions, type Job, Queue, WaitingError, Worker } from 'bullmq';
import { FatalError, toSluiceError } from '../errors.js';
import type { Logger } from '../plugin.js';
import { RedisKeys } from '../storage/keys.js';
import {
  DEFAULT_REDIS_URL,
  openClient,
  type ReconnectStrategy,
  type RedisClient,
  type RedisTarget,
  reconnectDelay,
  WAITING_COMMANDS,
} from '../storage/redis-connection.js';
import { settlesWithin, sleep } from './bounded-wait.js';
import { fallbackLogger } from './fallback-logger.js';
import { LeaseLoops } from './lease-loops.js';
import { LeaseShare } from './lease-share.js';
import { hasTurnedFreelySince, watchLoopTurns } from './loop-turns.js';
import {
  type ConsumeOptions,
  type DeliveryJob,
  type ExclusiveLoopBody,
  type ExclusiveOptions,
  isJobLost,
  type JobHandler,
  type JobInfo,
  jobLost,
  type QueueCounts,
  type ScheduledTaskBody,
  type WorkQueue,
} from './queue.js';
import { RedisLockTable } from './redis-lock-table.js';
import { type HeldJob, listWorkers, WorkerHeartbeat } from './worker-registry.js';

export interface BullmqQueueOptions {
  /** A `redis://` URL, or `{ url }`, or `{ cluster: { nodes } }` for a Redis Cluster reached through any of its nodes. */
  connection: string | RedisTarget;
  /** Key prefix of the deployment; BullMQ keys live under `<prefix>:bull`. Default `sluice`. */
  prefix?: string;
  /** Stem of the BullMQ queue names: a subscription's jobs go to `<queueName>.<subscription>`. Default `delivery`. */
  queueName?: string;
  /** This process in the fleet. Default `<host>:<pid>:<random>`. */
  workerId?: string;
  /** Default: warnings and errors on stderr. */
  logger?: Logger;
  /** Reported in the worker heartbeat. Default `unknown`. */
  version?: string;
  /**
   * BullMQ job lock, ms, renewed every half. A killed worker's jobs are moved back to wait once it lapses and a
   * stalled check has seen it twice: within about lockDurationMs + 2 × stalledIntervalMs. An event loop blocked
   * longer than this makes a job run twice (at-least-once), though the frozen run confirms its lock before it
   * writes (JobInfo.confirmHeld). Default 5000 (BullMQ's own: 30000).
   */
  lockDurationMs?: number;
  /** Period of the stalled-job check, ms (one check per period across the fleet). Default 2000. */
  stalledIntervalMs?: number;
  /** Times a job may stall (its worker died) before it is failed as a poison job. Default 10. */
  maxStalledCount?: number;
  /** Lease of a schedule or exclusive loop, ms, renewed every third. Default 5000. */
  leaseMs?: number;
  /** Pause between attempts to take an exclusive loop's lead, ms. Default 1000. */
  exclusiveRetryMs?: number;
  /** Heartbeat period, ms; a heartbeat lives three periods. Default 3000. */
  heartbeatMs?: number;
  /** Longest pause between reconnection attempts to Redis, ms. Default 2000. */
  reconnectCapMs?: number;
}

/** Failed jobs kept for inspection (`sluice status`), by age (s) and count. */
const KEEP_FAILED = { age: 7 * 24 * 3600, count: 1000 };
/** How long a BullMQ command that failed on a lost connection waits before it is retried (BullMQ: 15 s). */
const RUN_RETRY_DELAY_MS = 1000;
/** Commands of the lock client fail after this, so a lease is never renewed on a connection that hangs. */
const LOCK_COMMAND_TIMEOUT_MS = 2000;
/** After the grace period, how long handing jobs back and closing connections may take before they are cut. */
const AFTER_GRACE_MS = 3000;
/** How much sooner than half a lock a job stops counting as surely held (a renewal timer running late). */
const OWNED_MARGIN_MS = 500;

/**
 * Connection options for BullMQ on one Redis. Given options (not a client), BullMQ creates its clients itself and
 * closes them on `close()`; clients passed in would stay open and keep the process alive. Commands wait for a
 * reconnect rather than fail: a submit during a Redis restart completes after it.
 */
function bullmqOptions(target: RedisTarget, retryStrategy: ReconnectStrategy): ConnectionOptions {
  return { url: target.url ?? DEFAULT_REDIS_URL, maxRetriesPerRequest: null, retryStrategy };
}

interface Held extends HeldJob {
  /** Hands the job back to the queue and makes BullMQ stop waiting for its handler. */
  release(): Promise<void>;
}

export class BullmqQueue implements WorkQueue {
  readonly kind = 'bullmq' as const;
  readonly workerId: string;
  private readonly keys: RedisKeys;
  private readonly queueStem: string;
  private readonly logger: Logger;
  private readonly connection: ConnectionOptions;
  /**
   * BullMQ's client on a Redis Cluster, where BullMQ needs a client, not options. BullMQ leaves a client it is given
   * open (its worker runs on copies, which it closes), so the queue closes this one itself.
   */
  private readonly bullClient?: RedisClient;
  /** The BullMQ queue of each subscription this process submitted to or consumes, opened on first use. */
  private readonly queues = new Map<string, Queue>();
  /** Subscriptions known to be in the deployment's set of delivery queues. */
  private readonly listed = new Set<string>();
  private readonly client: RedisClient;
  private readonly heartbeat: WorkerHeartbeat;
  private readonly held = new Map<string, Held>();
  private readonly loops: LeaseLoops;
  /** Live workers per group of exclusive loops, from the heartbeats, refreshed once a heartbeat period. */
  private groupMembers = new Map<string, number>();
  private membersTimer?: NodeJS.Timeout;
  private readonly share = new LeaseShare((group) => this.groupMembers.get(group) ?? 1);
  private readonly startedAt = Date.now();
  private readonly workers: Worker[] = [];
  private closing?: Promise<void>;
  private readonly reconnectCapMs: number;
  private readonly lastWarned = new Map<string, number>();
  private readonly stopWatchingTurns = watchLoopTurns();

  constructor(private readonly options: BullmqQueueOptions) {
    this.keys = new RedisKeys(options.prefix ?? 'sluice');
    this.queueStem = options.queueName ?? 'delivery';
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.logger = options.logger ?? fallbackLogger;
    this.reconnectCapMs = options.reconnectCapMs ?? 2000;
    const retryStrategy = reconnectDelay(this.reconnectCapMs, () => this.closing !== undefined);
    const target = typeof options.connection === 'string' ? { url: options.connection } : options.connection;
    if (target.cluster) {
      this.bullClient = openClient(target, WAITING_COMMANDS, retryStrategy);
      this.bullClient.on('error', (err) => this.warnThrottled('queue', 'Redis Cluster connection error (BullMQ)', err));
      this.connection = this.bullClient;
    } else {
      this.connection = bullmqOptions(target, retryStrategy);
    }
    this.client = openClient(
      target,
      { commandTimeout: LOCK_COMMAND_TIMEOUT_MS, maxRetriesPerRequest: 1 },
      retryStrategy,
    );
    this.client.on('error', (err) => this.warnThrottled('client', 'Redis connection error (locks, heartbeat)', err));
    this.loops = new LeaseLoops({
      locks: new RedisLockTable(this.client, this.keys),
      tokenPrefix: this.workerId,
      leaseMs: options.leaseMs ?? 5000,
      exclusiveRetryMs: options.exclusiveRetryMs ?? 1000,
      logger: this.logger,
      share: this.share,
    });
    this.heartbeat = new WorkerHeartbeat(
      this.client,
      this.keys,
      {
        id: this.workerId,
        host: hostname(),
        pid: process.pid,
        startedAt: this.startedAt,
        version: options.version ?? 'unknown',
      },
      () =>
        [...this.held.values()].map(({ id, pipeline, sink, attempt, since }) => ({
          id,
          pipeline,
          sink,
          attempt,
          since,
        })),
      { everyMs: options.heartbeatMs ?? 3000, logger: this.logger },
    );
  }

  async submit(job: DeliveryJob, { attempts }: { attempts: number }): Promise<void> {
    if (this.closing) {
      throw new FatalError(`work queue is closed: delivery job ${job.id} was not queued; submit before close()`, {
        code: 'E_QUEUE_CLOSED',
      });
    }
    // Dedupe by BullMQ deduplication rather than a custom job id: it holds exactly while the job is queued,
    // delayed or running, so a failed job kept for inspection never blocks a later submit of its range (a
    // custom id would), and the id may contain ':' (a custom job id may not).
    await (await this.queueOf(job.subscription)).add(job.id, job, {
      deduplication: { id: job.id },
      attempts: Math.max(1, attempts),
      backoff: { type: 'sluice' },
      removeOnComplete: true,
      removeOnFail: KEEP_FAILED,
    });
  }

  consume(handler: JobHandler, options: ConsumeOptions): void {
    if (this.workers.length > 0) throw new Error('this work queue already has a consumer');
    if (this.closing) throw new Error('work queue is closed: consume() was called after close()');
    for (const subscription of new Set(options.subscriptions)) {
      this.workers.push(this.workerFor(subscription, handler, options));
    }
    if (options.events) this.heartbeat.reportEvents(options.events);
    this.heartbeat.start();
  }

  private workerFor(subscription: string, handler: JobHandler, options: ConsumeOptions): Worker {
    void this.queueOf(subscription).catch((err) => this.warnThrottled('queue', 'could not list a delivery queue', err));
    const worker = new Worker(this.queueNameOf(subscription), (job, token) => this.process(job, token, handler), {
      connection: this.connection,
      prefix: this.keys.bullPrefix(),
      name: this.workerId,
      concurrency: Math.max(1, options.concurrency),
      lockDuration: this.lockDurationMs(),
      stalledInterval: this.options.stalledIntervalMs ?? 2000,
      maxStalledCount: this.options.maxStalledCount ?? 10,
      runRetryDelay: RUN_RETRY_DELAY_MS,
      settings: {
        // BullMQ passes the attempt that just failed (1-based) and the error the handler threw, so a sink's
        // retryAfterMs reaches the policy.
        backoffStrategy: (attempt, _type, err, job) => options.backoff(attempt, err, job?.data as DeliveryJob),
      },
    });
    worker.on('error', (err) => this.warnThrottled('worker', 'BullMQ worker error', err));
    worker.on('failed', (job, err) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
        this.logger.error(
          { job: job.name, pipeline: (job.data as DeliveryJob).pipeline, attempts: job.attemptsMade, err: err.message },
          `delivery job ${job.name} failed after ${job.attemptsMade} attempts`,
        );
      }
    });
    return worker;
  }

  private queueNameOf(subscription: string): string {
    return this.keys.bullQueueName(`${this.queueStem}.${subscription}`);
  }

  /**
   * The subscription's queue. It is listed in the deployment's set of delivery queues before its first job from
   * here; a listing that failed (Redis unreachable) is tried again on the next use.
   */
  private async queueOf(subscription: string): Promise<Queue> {
    let queue = this.queues.get(subscription);
    if (!queue) {
      queue = new Queue(this.queueNameOf(subscription), {
        connection: this.connection,
        prefix: this.keys.bullPrefix(),
      });
      queue.on('error', (err) => this.warnThrottled('queue', 'BullMQ queue error', err));
      this.queues.set(subscription, queue);
    }
    if (!this.listed.has(subscription)) {
      await this.client.sadd(this.keys.deliveryQueues(), subscription);
      this.listed.add(subscription);
    }
    return queue;
  }

  schedule(name: string, everyMs: number, task: ScheduledTaskBody): void {
    this.refuseWhenClosing(name);
    this.loops.schedule(name, everyMs, task);
    this.heartbeat.start();
  }

  exclusive(name: string, loop: ExclusiveLoopBody, options: ExclusiveOptions = {}): void {
    this.refuseWhenClosing(name);
    this.loops.exclusive(name, loop, options);
    if (options.group !== undefined) this.watchGroupMembers();
    this.heartbeat.start();
  }

  /** Counts, once a heartbeat period, the live workers that run each group this process runs. */
  private watchGroupMembers(): void {
    if (this.membersTimer) return;
    this.heartbeat.reportGroups(() => this.share.groups());
    const refresh = async () => {
      try {
        const members = new Map<string, number>();
        for (const w of await listWorkers(this.client, this.keys)) {
          for (const g of w.groups ?? []) members.set(g, (members.get(g) ?? 0) + 1);
        }
        this.groupMembers = members;
      } catch (err) {
        // Until the next refresh the last counts stand; a lease is never left unheld for want of them.
        this.warnThrottled('members', 'could not list the workers of the fleet', err);
      }
    };
    this.membersTimer = setInterval(() => void refresh(), this.options.heartbeatMs ?? 3000);
    this.membersTimer.unref();
  }

  private refuseWhenClosing(name: string): void {
    if (this.closing) throw new Error(`work queue is closed: "${name}" was not started`);
  }

  async liveJobs(subscription: string): Promise<DeliveryJob[]> {
    const queue = await this.queueOf(subscription);
    const jobs = await queue.getJobs(['wait', 'prioritized', 'delayed', 'active'], 0, -1);
    return jobs.filter((j) => j !== undefined).map((j) => j.data as DeliveryJob);
  }

  /** Jobs of every subscription of the deployment, those this process does not deliver to included. */
  async counts(): Promise<QueueCounts> {
    const total: QueueCounts = { waiting: 0, active: 0, delayed: 0, failed: 0 };
    for (const subscription of await this.client.smembers(this.keys.deliveryQueues())) {
      const queue = await this.queueOf(subscription);
      const c = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
      total.waiting += (c.waiting ?? 0) + (c.prioritized ?? 0);
      total.active += c.active ?? 0;
      total.delayed += c.delayed ?? 0;
      total.failed += c.failed ?? 0;
    }
    return total;
  }

  close(graceMs: number): Promise<void> {
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  private async process(job: Job, token: string | undefined, handler: JobHandler): Promise<void> {
    const data = job.data as DeliveryJob;
    const lockMs = this.lockDurationMs();
    // The lock is ours until at least this plus a lock: BullMQ took it when the job started, moments ago.
    let confirmedAt = Date.now();
    const info: JobInfo = {
      attempt: job.attemptsMade + 1,
      maxAttempts: job.opts.attempts ?? 1,
      confirmHeld: async () => {
        const sentAt = Date.now();
        await this.confirmHeld(job, token);
        confirmedAt = sentAt;
      },
      // Held for sure while this run confirmed the lock less than a lock ago (a long synchronous chain is followed
      // by confirmHeld before the write), or while timers have turned within every half lock since it was last
      // confirmed, as BullMQ renews the lock from a timer every half lock (a request that waits long for a free
      // connection). A run whose event loop stalled longer since its last confirmation may have lost the job,
      // even once timers run again: their first turn comes before the renewal's answer says so.
      isOwned: () =>
        Date.now() - confirmedAt < lockMs - OWNED_MARGIN_MS ||
        hasTurnedFreelySince(confirmedAt, lockMs / 2 - OWNED_MARGIN_MS),
    };
    let handBack!: (err: Error) => void;
    const handedBack = new Promise<never>((_, reject) => {
      handBack = reject;
    });
    const key = job.id ?? data.id;
    this.held.set(key, {
      id: data.id,
      pipeline: data.pipeline,
      sink: data.sink,
      attempt: info.attempt,
      since: Date.now(),
      // BullMQ's manual-move pattern: move the job ourselves (back to wait, keeping its attempts), then throw
      // WaitingError so the worker neither completes nor fails it.
      release: async () => {
        await job.moveToWait(token);
        handBack(new WaitingError());
      },
    });
    try {
      await Promise.race([handler(data, info), handedBack]);
    } catch (err) {
      if (!isJobLost(err)) throw err;
      this.logger.warn({ job: data.id, pipeline: data.pipeline, err: toSluiceError(err).message }, 'job taken over');
      // The job is another worker's now: BullMQ must neither complete nor fail it here.
      throw new WaitingError();
    } finally {
      this.held.delete(key);
    }
  }

  /** Extends the job's lock with this run's token; fails once the lock lapsed or another worker holds it. */
  private async confirmHeld(job: Job, token: string | undefined): Promise<void> {
    const lockMs = this.lockDurationMs();
    if (token !== undefined && (await job.extendLock(token, lockMs)) === 1) return;
    throw jobLost(job.name, lockMs);
  }

  private lockDurationMs(): number {
    return this.options.lockDurationMs ?? 5000;
  }

  private async shutdown(graceMs: number): Promise<void> {
    if (this.client.status !== 'ready') {
      // Redis looks unreachable. BullMQ's close waits for an 'end' event that a reconnecting ioredis client
      // never emits once disconnected (so the process would never exit); instead every client gives up at its
      // next reconnect attempt (the retry strategy says so once closing), which ends it and fails its commands.
      await sleep(this.reconnectCapMs + 500);
    }
    // Every step after the grace period is bounded, so close() returns even if Redis goes away meanwhile.
    const deadline = Date.now() + graceMs + AFTER_GRACE_MS;
    const left = () => Math.max(0, deadline - Date.now());
    clearInterval(this.membersTimer);
    this.stopWatchingTurns();
    const loopsStopped = this.loops.stop(graceMs);
    if (this.workers.length > 0) {
      // A graceful close stops fetching, interrupts the blocking fetch and waits for running jobs and their acks.
      const closed = Promise.all(this.workers.map((w) => w.close()));
      if (!(await settlesWithin(closed, graceMs))) {
        await settlesWithin(this.handBackUnfinished(graceMs), left());
        if (!(await settlesWithin(closed, left()))) {
          this.logger.warn({ worker: this.workerId }, 'the BullMQ workers did not close in time; disconnecting them');
          await settlesWithin(Promise.all(this.workers.map((w) => w.disconnect())), 1000);
        }
      }
    }
    await settlesWithin(loopsStopped, left());
    await settlesWithin(this.heartbeat.stop(), left());
    for (const queue of this.queues.values()) {
      if (!(await settlesWithin(queue.close(), left()))) await settlesWithin(queue.disconnect(), 1000);
    }
    for (const client of [this.bullClient, this.client]) {
      if (client && !(await settlesWithin(client.quit(), left()))) client.disconnect();
    }
  }

  private async handBackUnfinished(graceMs: number): Promise<void> {
    const unfinished = [...this.held.values()];
    if (unfinished.length === 0) return;
    this.logger.warn(
      { jobs: unfinished.map((h) => h.id) },
      `handing ${unfinished.length} unfinished delivery jobs back to the queue after ${graceMs} ms of grace`,
    );
    await Promise.all(
      unfinished.map((h) =>
        h.release().catch((err) => {
          // Not handed back: its lock lapses and another worker takes it as a stalled job.
          this.logger.warn({ job: h.id, err: toSluiceError(err).message }, 'could not hand a job back');
        }),
      ),
    );
  }

  /** Connection errors repeat on every reconnect attempt; one line per source every 10 s is enough. */
  private warnThrottled(source: string, msg: string, err: unknown): void {
    const now = Date.now();
    if (now - (this.lastWarned.get(source) ?? 0) < 10_000) return;
    this.lastWarned.set(source, now);
    this.logger.warn({ worker: this.workerId, err: toSluiceError(err).message }, msg);
  }
}
