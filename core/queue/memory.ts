// The work queue of embedded mode: jobs live in this process (not durable) and are dispatched on the microtask
// after they are submitted or a slot frees up, never by a polling timer, so ingest-to-delivery stays well under a
// millisecond of queueing. Schedules and exclusive loops use the same lease logic as the Redis driver over an
// in-process lock table; queues sharing one `MemoryLockTable` behave as members of one fleet. Jobs are not shared
// between processes, so every job queued here is of a sink this process has: `subscriptions` filters nothing.
import { FatalError, toSluiceError } from '../errors.js';
import type { Logger } from '../plugin.js';
import { settlesWithin } from './bounded-wait.js';
import { fallbackLogger } from './fallback-logger.js';
import { LeaseLoops } from './lease-loops.js';
import { MemoryLockTable } from './memory-lock-table.js';
import type {
  ConsumeOptions,
  DeliveryJob,
  ExclusiveLoopBody,
  JobHandler,
  QueueCounts,
  ScheduledTaskBody,
  WorkQueue,
} from './queue.js';

export interface MemoryQueueOptions {
  /** Where failures of jobs, schedules and loops are reported. Default: warnings and errors on stderr. */
  logger?: Logger;
  /** Lock table shared by queues that stand for one fleet. Default: a table of this queue's own. */
  locks?: MemoryLockTable;
  /** Lease of a schedule or exclusive loop, ms. Default 5000. */
  leaseMs?: number;
  /** Pause between attempts to take an exclusive loop's lead, ms. Default 1000. */
  exclusiveRetryMs?: number;
}

interface Entry {
  job: DeliveryJob;
  maxAttempts: number;
  attemptsMade: number;
  timer?: NodeJS.Timeout;
}

/** When the consumed part of the FIFO array is this long and more than half of it, the array is compacted. */
const COMPACT_AFTER = 1024;

export class MemoryQueue implements WorkQueue {
  readonly kind = 'memory' as const;
  private readonly logger: Logger;
  /** Every job queued, delayed or running, by id: the dedupe set. */
  private readonly entries = new Map<string, Entry>();
  private waiting: (Entry | undefined)[] = [];
  private head = 0;
  private readonly running = new Set<Promise<void>>();
  private delayed = 0;
  private failed = 0;
  private handler?: JobHandler;
  private consumeOptions?: ConsumeOptions;
  private isDispatchQueued = false;
  private isClosed = false;
  private readonly loops: LeaseLoops;

  constructor(options: MemoryQueueOptions = {}) {
    this.logger = options.logger ?? fallbackLogger;
    this.loops = new LeaseLoops({
      locks: options.locks ?? new MemoryLockTable(),
      tokenPrefix: 'memory',
      leaseMs: options.leaseMs ?? 5000,
      exclusiveRetryMs: options.exclusiveRetryMs ?? 1000,
      logger: this.logger,
    });
  }

  async submit(job: DeliveryJob, { attempts }: { attempts: number }): Promise<void> {
    if (this.isClosed) {
      throw new FatalError(`work queue is closed: delivery job ${job.id} was not queued; submit before close()`, {
        code: 'E_QUEUE_CLOSED',
      });
    }
    if (this.entries.has(job.id)) return;
    const entry: Entry = { job, maxAttempts: Math.max(1, attempts), attemptsMade: 0 };
    this.entries.set(job.id, entry);
    this.waiting.push(entry);
    this.queueDispatch();
  }

  consume(handler: JobHandler, options: ConsumeOptions): void {
    if (this.handler) throw new Error('this work queue already has a consumer');
    this.handler = handler;
    this.consumeOptions = options;
    this.queueDispatch();
  }

  schedule(name: string, everyMs: number, task: ScheduledTaskBody): void {
    this.loops.schedule(name, everyMs, task);
  }

  exclusive(name: string, loop: ExclusiveLoopBody): void {
    this.loops.exclusive(name, loop);
  }

  async liveJobs(subscription: string): Promise<DeliveryJob[]> {
    return [...this.entries.values()].filter((e) => e.job.subscription === subscription).map((e) => e.job);
  }

  async counts(): Promise<QueueCounts> {
    return {
      waiting: this.waiting.length - this.head,
      active: this.running.size,
      delayed: this.delayed,
      failed: this.failed,
    };
  }

  async close(graceMs: number): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const entry of this.entries.values()) {
      if (entry.timer) clearTimeout(entry.timer);
    }
    // Jobs still running after the grace period are left to finish on their own: in one process there is
    // nobody to hand them to, and embedded mode is not durable.
    await Promise.all([settlesWithin(Promise.allSettled([...this.running]), graceMs), this.loops.stop(graceMs)]);
  }

  private queueDispatch(): void {
    if (this.isDispatchQueued || !this.handler || this.isClosed) return;
    this.isDispatchQueued = true;
    queueMicrotask(() => {
      this.isDispatchQueued = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (!this.handler || !this.consumeOptions || this.isClosed) return;
    const concurrency = Math.max(1, this.consumeOptions.concurrency);
    while (this.running.size < concurrency && this.head < this.waiting.length) {
      const entry = this.waiting[this.head]!;
      // Drop the reference so a long-lived queue does not keep finished jobs alive until compaction.
      this.waiting[this.head++] = undefined;
      this.start(entry, this.handler);
    }
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
  }

  private start(entry: Entry, handler: JobHandler): void {
    entry.attemptsMade += 1;
    // One process: nobody else can take a running job.
    const info = {
      attempt: entry.attemptsMade,
      maxAttempts: entry.maxAttempts,
      confirmHeld: async () => {},
      isOwned: () => true,
    };
    const run = (async () => {
      try {
        await handler(entry.job, info);
        this.entries.delete(entry.job.id);
      } catch (err) {
        this.retryOrFail(entry, err);
      }
    })().finally(() => {
      this.running.delete(run);
      this.queueDispatch();
    });
    this.running.add(run);
  }

  private retryOrFail(entry: Entry, err: unknown): void {
    const { job, attemptsMade, maxAttempts } = entry;
    if (this.isClosed) {
      this.entries.delete(job.id);
      return;
    }
    if (attemptsMade >= maxAttempts) {
      this.entries.delete(job.id);
      this.failed += 1;
      this.logger.error(
        { job: job.id, pipeline: job.pipeline, attempts: attemptsMade, err: toSluiceError(err).message },
        `delivery job ${job.id} failed after ${attemptsMade} attempts`,
      );
      return;
    }
    const delayMs = this.backoff(attemptsMade, err, job);
    if (delayMs <= 0) {
      this.waiting.push(entry);
      return;
    }
    this.delayed += 1;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      this.delayed -= 1;
      this.waiting.push(entry);
      this.queueDispatch();
    }, delayMs);
  }

  private backoff(attempt: number, err: unknown, job: DeliveryJob): number {
    try {
      const ms = this.consumeOptions!.backoff(attempt, err, job);
      return Number.isFinite(ms) ? ms : 0;
    } catch (backoffErr) {
      this.logger.error(
        { job: job.id, err: toSluiceError(backoffErr).message },
        'the backoff function threw; retrying in 1 s',
      );
      return 1000;
    }
  }
}
