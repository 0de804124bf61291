// A task run every `everyMs` by exactly one process of the fleet at a time (a poll source). Each process runs
// one of these per task; they compete for one lease in the lock table. The winner runs the task (again at once
// while it reports more to do), then keeps the lock for `everyMs` as a cool-down, so the fleet as a whole runs
// the task once per period whichever process wins next. The lease is renewed during a run and the task's signal
// aborts if it is lost, so a run is never started while another one still holds the lock.
import { toSluiceError } from '../errors.js';
import type { Logger } from '../plugin.js';
import { settlesWithin } from './bounded-wait.js';
import { type Lease, waitForLease } from './lease.js';
import type { LockTable } from './lock-table.js';
import type { ScheduledTaskBody } from './queue.js';

/** How long a task that ignores its aborted signal is still awaited on close. */
const ABORTED_TASK_WAIT_MS = 1000;

export interface ScheduledTaskOptions {
  locks: LockTable;
  name: string;
  everyMs: number;
  task: ScheduledTaskBody;
  /** Unique for this process and task. */
  token: string;
  leaseMs: number;
  logger: Logger;
}

export class ScheduledTask {
  private readonly stopping = new AbortController();
  private readonly taskAbort = new AbortController();
  private readonly done: Promise<void>;
  private running?: Promise<boolean>;
  private lease?: Lease;

  constructor(private readonly options: ScheduledTaskOptions) {
    this.done = this.run();
  }

  /** Starts no new run; lets a running one finish for up to `graceMs`, then aborts it and frees the lock. */
  async stop(graceMs: number): Promise<void> {
    this.stopping.abort();
    const running = this.running;
    if (running && !(await settlesWithin(running, graceMs))) {
      this.taskAbort.abort(new Error(`closing: the run of "${this.options.name}" took longer than ${graceMs} ms`));
      if (!(await settlesWithin(running, ABORTED_TASK_WAIT_MS))) {
        this.options.logger.warn({ task: this.options.name }, 'a scheduled task ignored its abort signal on close');
        await this.lease?.release();
        return;
      }
    }
    await this.done;
  }

  private async run(): Promise<void> {
    const { locks, name, everyMs, token, leaseMs, logger } = this.options;
    const stopping = this.stopping.signal;
    while (!stopping.aborted) {
      const lease = await waitForLease(locks, name, token, {
        leaseMs,
        maxWaitMs: Math.max(everyMs, leaseMs),
        signal: stopping,
        logger,
      });
      if (!lease) return;
      this.lease = lease;
      const signal = AbortSignal.any([lease.signal, this.taskAbort.signal]);
      let hasMore = true;
      while (hasMore && !signal.aborted && !stopping.aborted) {
        this.running = this.runOnce(signal, () => !signal.aborted && lease.isCurrent());
        hasMore = await this.running;
      }
      this.running = undefined;
      // On close the lock is freed so another process polls next; otherwise it is kept as the cool-down.
      if (stopping.aborted) await lease.release();
      else await lease.hold(everyMs);
    }
  }

  private async runOnce(signal: AbortSignal, isHeld: () => boolean): Promise<boolean> {
    try {
      return (await this.options.task(signal, isHeld)) === true;
    } catch (err) {
      if (!signal.aborted) {
        this.options.logger.error(
          { task: this.options.name, err: toSluiceError(err).message },
          `scheduled task "${this.options.name}" failed; it runs again in ${this.options.everyMs} ms`,
        );
      }
      return false;
    }
  }
}
