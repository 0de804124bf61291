// The work queue contract: delivery jobs that name a range of stored events, scheduled single-poller tasks,
// and fleet-wide exclusive loops. Drivers: memory.ts (one process) and bullmq.ts (a fleet on Redis).
import { RetryableError, toSluiceError } from '../errors.js';
import type { WorkerEventCounts } from './worker-registry.js';

/** One batch of delivery work: a contiguous range of one partition for one subscription. */
export interface DeliveryJob {
  /**
   * Deterministic (`<subscription>/<partition>/<firstId>/<lastId>`), so a re-submitted range is not queued twice,
   * and a different range (a recovery batch that starts where a live job starts) never shares an id with it.
   */
  id: string;
  pipeline: string;
  /** Index of the sink in the pipeline's `sinks`. */
  sink: number;
  topic: string;
  subscription: string;
  partition: number;
  /** First and last event id of the range, inclusive. */
  firstId: string;
  lastId: string;
  count: number;
}

/**
 * The body of an exclusive loop. `signal` aborts when the lead is lost, handed over, or on close; `isHeld` says at
 * once, by the clock, whether the lead is still certainly this process's (false from the moment the lease may
 * have lapsed, even before the signal has noticed): ask it right before a side effect a new leader would repeat.
 */
export type ExclusiveLoopBody = (signal: AbortSignal, isHeld: () => boolean) => Promise<void>;

/** A run of a scheduled task: true when it has more to do at once. `signal` and `isHeld` as for an exclusive loop. */
export type ScheduledTaskBody = (signal: AbortSignal, isHeld: () => boolean) => Promise<boolean>;

export interface JobInfo {
  /** 1 for the first try. */
  attempt: number;
  /** Attempts allowed in all, from `submit`. */
  maxAttempts: number;
  /**
   * Call right before a side effect begins (a sink write, a dead letter). Resolves, renewing the job's lock, while
   * this run still holds the job; throws a retryable `E_JOB_LOST` error once the fleet has given the job to another
   * worker because this run stalled past its lock (an event loop blocked, a long pause). The handler then stops
   * without the side effect, rethrowing that error: the job's new holder does the work.
   */
  confirmHeld(): Promise<void>;
  /**
   * Whether this run certainly still holds the job now, answered at once from the clock: false once the lock may
   * have lapsed (the event loop was blocked past it) even before anything has noticed. A sink asks it right before
   * each side effect it starts inside a write (a request put on the wire after a long block, say).
   */
  isOwned(): boolean;
}

const JOB_LOST = 'E_JOB_LOST';

/** The error {@link JobInfo.confirmHeld} throws when the job was given to another worker. */
export function jobLost(jobName: string, lockMs: number): RetryableError {
  return new RetryableError(
    `delivery job ${jobName} was given to another worker while this one stalled past its ${lockMs} ms lock ` +
      '(an event loop blocked that long); this run stops without writing and the other one delivers it',
    { code: JOB_LOST },
  );
}

/**
 * The error {@link JobInfo.confirmHeld} throws for a batch its dispatcher delivers itself once the dispatcher lost
 * its lead: the new leader recovers the batch.
 */
export function leaseLost(jobName: string): RetryableError {
  return new RetryableError(
    `batch ${jobName} was left to the new leader of its partition: this process lost the lead while it stalled ` +
      '(an event loop blocked past the lease); it stops without writing',
    { code: JOB_LOST },
  );
}

export const isJobLost = (err: unknown): boolean => toSluiceError(err).code === JOB_LOST;

export type JobHandler = (job: DeliveryJob, info: JobInfo) => Promise<void>;

export interface ConsumeOptions {
  /**
   * The subscriptions (sinks) this process delivers to. It takes only their jobs; jobs of other subscriptions (of
   * a pipeline or a sink it does not have) stay queued, attempts untouched, for the processes that have them (a
   * rolling deploy, a fleet whose workers run different files).
   */
  subscriptions: readonly string[];
  /** Jobs run at once: per subscription on BullMQ (each has its own queue and worker), in all in memory. */
  concurrency: number;
  /** Delay before the next attempt, ms; `error` is what the handler threw. */
  backoff(attempt: number, error: unknown, job: DeliveryJob): number;
  /** What this process has counted, for a driver that tells the fleet about its workers (their heartbeats). */
  events?(): WorkerEventCounts | Promise<WorkerEventCounts>;
}

export interface ExclusiveOptions {
  /**
   * Loops of one group are spread over the processes of the fleet that run the group (each holds about its share),
   * instead of all going to whichever process asked first.
   */
  group?: string;
}

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface WorkQueue {
  readonly kind: 'memory' | 'bullmq';
  /** Queues a job unless a job with the same id is already queued or running. */
  submit(job: DeliveryJob, options: { attempts: number }): Promise<void>;
  /**
   * Starts taking jobs of `options.subscriptions`. A handler that throws is retried after `backoff` until attempts run
   * out.
   */
  consume(handler: JobHandler, options: ConsumeOptions): void;
  /**
   * Runs `task` every `everyMs` with at most one run at a time across the whole fleet. A task that returns
   * true has more to do now and is run again at once.
   */
  schedule(name: string, everyMs: number, task: ScheduledTaskBody): void;
  /**
   * Runs `loop` on exactly one process of the fleet; if that process dies, another takes over. The signal is
   * aborted when leadership is lost, when the loop is handed over to spread its group, or on close.
   */
  exclusive(name: string, loop: ExclusiveLoopBody, options?: ExclusiveOptions): void;
  /** Jobs of `subscription` that are waiting, delayed or running, across the fleet (for recovery). */
  liveJobs(subscription: string): Promise<DeliveryJob[]>;
  counts(): Promise<QueueCounts>;
  /** Stops taking work, lets running jobs finish for up to `graceMs`, releases the rest. */
  close(graceMs: number): Promise<void>;
}
