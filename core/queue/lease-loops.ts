// The schedules and exclusive loops of one work queue, whatever its driver: each runs under a lease in the
// driver's lock table, so at most one member of a fleet runs it at a time.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../plugin.js';
import { ExclusiveLoop } from './exclusive-loop.js';
import type { LeaseShare } from './lease-share.js';
import type { LockTable } from './lock-table.js';
import type { ExclusiveLoopBody, ExclusiveOptions, ScheduledTaskBody } from './queue.js';
import { ScheduledTask } from './scheduled-task.js';

export interface LeaseLoopsOptions {
  locks: LockTable;
  /** Prefix of each lease token, naming this process in the lock table. */
  tokenPrefix: string;
  leaseMs: number;
  /** Pause between attempts to take an exclusive loop's lead. */
  exclusiveRetryMs: number;
  logger: Logger;
  /** Spreads exclusive loops that name a group over the fleet (without it, whoever asks first holds them). */
  share?: LeaseShare;
}

export class LeaseLoops {
  private readonly loops = new Map<string, ScheduledTask | ExclusiveLoop>();
  private isStopped = false;

  constructor(private readonly options: LeaseLoopsOptions) {}

  schedule(name: string, everyMs: number, task: ScheduledTaskBody): void {
    const { locks, leaseMs, logger } = this.options;
    this.add(
      name,
      () => new ScheduledTask({ locks, name: `schedule:${name}`, everyMs, task, token: this.token(), leaseMs, logger }),
    );
  }

  exclusive(name: string, loop: ExclusiveLoopBody, options: ExclusiveOptions = {}): void {
    const { locks, leaseMs, exclusiveRetryMs: retryMs, logger, share } = this.options;
    const group = options.group;
    this.add(name, () => {
      if (share && group !== undefined) share.add(group);
      return new ExclusiveLoop({
        locks,
        name: `exclusive:${name}`,
        loop,
        token: this.token(),
        leaseMs,
        retryMs,
        logger,
        share: share && group !== undefined ? { table: share, group } : undefined,
      });
    });
  }

  /** Stops every loop; a running task or loop gets up to `graceMs` to finish. No loop can be added after. */
  async stop(graceMs: number): Promise<void> {
    this.isStopped = true;
    await Promise.all([...this.loops.values()].map((loop) => loop.stop(graceMs)));
  }

  private token(): string {
    return `${this.options.tokenPrefix}:${randomUUID()}`;
  }

  private add(name: string, start: () => ScheduledTask | ExclusiveLoop): void {
    if (this.isStopped) throw new Error(`work queue is closed: "${name}" was not started`);
    if (this.loops.has(name)) throw new Error(`"${name}" is already scheduled on this work queue`);
    this.loops.set(name, start());
  }
}
