// The work queue contract: delivery jobs that name a range of stored events, scheduled single-poller tasks,
// and fleet-wide exclusive loops. Drivers: memory.ts (one process) and bullmq.ts (a fleet on Redis).

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

export interface JobInfo {
  /** 1 for the first try. */
  attempt: number;
  /** Attempts allowed in all, from `submit`. */
  maxAttempts: number;
}

export type JobHandler = (job: DeliveryJob, info: JobInfo) => Promise<void>;

export interface ConsumeOptions {
  /**
   * The pipelines this process runs. It takes only their jobs; jobs of other pipelines stay queued, attempts
   * untouched, for the processes that run them (a rolling deploy, a fleet whose workers run different files).
   */
  pipelines: readonly string[];
  /** Jobs run at once: per pipeline on BullMQ (each pipeline's queue has its own worker), in all in memory. */
  concurrency: number;
  /** Delay before the next attempt, ms; `error` is what the handler threw. */
  backoff(attempt: number, error: unknown, job: DeliveryJob): number;
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
   * Starts taking jobs of `options.pipelines`. A handler that throws is retried after `backoff` until attempts run
   * out.
   */
  consume(handler: JobHandler, options: ConsumeOptions): void;
  /**
   * Runs `task` every `everyMs` with at most one run at a time across the whole fleet. A task that returns
   * true has more to do now and is run again at once.
   */
  schedule(name: string, everyMs: number, task: (signal: AbortSignal) => Promise<boolean>): void;
  /**
   * Runs `loop` on exactly one process of the fleet; if that process dies, another takes over. The signal is
   * aborted when leadership is lost or on close.
   */
  exclusive(name: string, loop: (signal: AbortSignal) => Promise<void>): void;
  counts(): Promise<QueueCounts>;
  /** Stops taking work, lets running jobs finish for up to `graceMs`, releases the rest. */
  close(graceMs: number): Promise<void>;
}
