// A loop run by exactly one process of the fleet (a leader). Each process runs one of these per loop; they
// compete for one lease, retrying about every `retryMs`, so when the leader dies its lock expires within one lease
// and another process takes over. The loop's signal aborts when the lease is lost or on close.
import { toSluiceError } from '../errors.js';
import type { Logger } from '../plugin.js';
import { settlesWithin, sleep } from './bounded-wait.js';
import { type Lease, waitForLease } from './lease.js';
import type { LeaseShare } from './lease-share.js';
import type { LockTable } from './lock-table.js';
import type { ExclusiveLoopBody } from './queue.js';

export interface ExclusiveLoopOptions {
  locks: LockTable;
  name: string;
  loop: ExclusiveLoopBody;
  /** Unique for this process and loop. */
  token: string;
  leaseMs: number;
  /** Pause between attempts to take the lead, and before restarting a loop that ended by itself. */
  retryMs: number;
  logger: Logger;
  /** Spread this loop and the others of its group over the fleet's processes that run the group. */
  share?: { table: LeaseShare; group: string };
}

export class ExclusiveLoop {
  private readonly stopping = new AbortController();
  private readonly done: Promise<void>;
  private running?: Promise<void>;
  private lease?: Lease;

  constructor(private readonly options: ExclusiveLoopOptions) {
    this.done = this.run();
  }

  /** Aborts the loop's signal, waits up to `graceMs` for it to return, and gives up the lead. */
  async stop(graceMs: number): Promise<void> {
    this.stopping.abort();
    const running = this.running;
    if (running && !(await settlesWithin(running, graceMs))) {
      this.options.logger.warn({ loop: this.options.name }, `exclusive loop did not stop within ${graceMs} ms`);
      await this.lease?.release();
      return;
    }
    await this.done;
  }

  private async run(): Promise<void> {
    const { locks, name, token, leaseMs, retryMs, logger, share } = this.options;
    const stopping = this.stopping.signal;
    const mayTry = share && ((passed: number) => share.table.mayTake(share.group, passed));
    while (!stopping.aborted) {
      const lease = await waitForLease(locks, name, token, {
        leaseMs,
        maxWaitMs: retryMs,
        signal: stopping,
        logger,
        mayTry,
      });
      if (!lease) return;
      this.lease = lease;
      share?.table.took(share.group);
      // A process holding more than its share of the group hands this loop over: the loop sees its signal abort,
      // finishes what it holds, and the lease is freed for a process under its share.
      const handOver = new AbortController();
      const check =
        share &&
        setInterval(() => {
          if (!handOver.signal.aborted && share.table.shouldHandOver(share.group)) handOver.abort();
        }, leaseMs);
      const signal = AbortSignal.any([lease.signal, stopping, handOver.signal]);
      this.running = this.runOnce(signal, () => !signal.aborted && lease.isCurrent());
      await this.running;
      this.running = undefined;
      clearInterval(check);
      await lease.release();
      share?.table.released(share.group, handOver.signal.aborted);
      if (handOver.signal.aborted && !stopping.aborted)
        logger.info({ loop: name }, `handed "${name}" over to a process of the fleet under its share`);
      if (!stopping.aborted && !lease.isLost) await sleep(retryMs, stopping);
    }
  }

  private async runOnce(signal: AbortSignal, isHeld: () => boolean): Promise<void> {
    const { name, loop, logger, retryMs } = this.options;
    try {
      await loop(signal, isHeld);
      if (!signal.aborted)
        logger.warn({ loop: name }, `exclusive loop "${name}" returned; restarting in ${retryMs} ms`);
    } catch (err) {
      if (!signal.aborted) {
        logger.error(
          { loop: name, err: toSluiceError(err).message },
          `exclusive loop "${name}" failed; restarting in ${retryMs} ms`,
        );
      }
    }
  }
}
