// A lease: a lock of the lock table held for as long as its holder keeps renewing it. Renewal runs every third
// of the lease; when the lock is found taken, or cannot be confirmed for a whole lease (Redis unreachable), the
// lease is lost and its signal aborts, so the work it guarded stops before another process can start it.
import type { Logger } from '../plugin.js';
import { sleep } from './bounded-wait.js';
import type { LockTable } from './lock-table.js';

export class Lease {
  private readonly lost = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private isRenewing = false;
  private hasEnded = false;

  /** Aborted when the lease is lost (never when it is released or held on purpose). */
  readonly signal: AbortSignal = this.lost.signal;

  constructor(
    private readonly locks: LockTable,
    readonly name: string,
    private readonly token: string,
    private readonly leaseMs: number,
    private readonly logger: Logger,
    /** When the acquiring command was sent: the lock in the table expires no earlier than this plus `leaseMs`. */
    private confirmedAt: number,
  ) {
    this.timer = setInterval(() => void this.renew(), Math.max(10, Math.floor(leaseMs / 3)));
  }

  get isLost(): boolean {
    return this.signal.aborted;
  }

  /**
   * Whether the lock is certainly still ours now, by the clock alone: not lost, and the last confirmed renewal is
   * younger than the lease. Code resuming after the event loop was blocked runs before the renewal tick that would
   * notice the lapse (I/O callbacks come first after a long block); this tells it at once, without a timer turn.
   */
  isCurrent(): boolean {
    return !this.isLost && Date.now() - this.confirmedAt < this.leaseMs;
  }

  /** Stops renewing and frees the lock, unless it was lost already. */
  async release(): Promise<void> {
    if (!this.end()) return;
    try {
      await this.locks.release(this.name, this.token);
    } catch (err) {
      // The lock then expires by itself within one lease.
      this.logger.warn({ lock: this.name, err: String(err) }, 'could not free a fleet lock; it expires by itself');
    }
  }

  /** Stops renewing and keeps the lock for `ms` more, then lets it expire (a cool-down between runs). */
  async hold(ms: number): Promise<void> {
    if (!this.end()) return;
    try {
      await this.locks.extend(this.name, this.token, ms);
    } catch (err) {
      this.logger.warn({ lock: this.name, err: String(err) }, 'could not keep a fleet lock for its cool-down');
    }
  }

  private end(): boolean {
    clearInterval(this.timer);
    if (this.hasEnded || this.isLost) return false;
    this.hasEnded = true;
    return true;
  }

  private async renew(): Promise<void> {
    if (this.hasEnded || this.isLost) return;
    // Checked on every tick, even while a renewal hangs: past this point the table may have let the lock go.
    if (Date.now() - this.confirmedAt >= this.leaseMs) {
      this.lose(`it could not be renewed for ${this.leaseMs} ms`);
      return;
    }
    if (this.isRenewing) return;
    this.isRenewing = true;
    const sentAt = Date.now();
    try {
      if (await this.locks.extend(this.name, this.token, this.leaseMs)) this.confirmedAt = sentAt;
      else this.lose('another process holds it now');
    } catch (err) {
      this.logger.warn({ lock: this.name, err: String(err) }, 'could not renew a fleet lock; retrying');
    } finally {
      this.isRenewing = false;
    }
  }

  private lose(why: string): void {
    clearInterval(this.timer);
    if (this.hasEnded || this.isLost) return;
    this.logger.warn({ lock: this.name }, `lost the fleet lock "${this.name}": ${why}; stopping its work`);
    this.lost.abort(new Error(`fleet lock "${this.name}" was lost: ${why}`));
  }
}

export interface WaitForLeaseOptions {
  leaseMs: number;
  /** Longest sleep between attempts (also the pause after an error reaching the table). */
  maxWaitMs: number;
  /** Stops waiting; the wait then resolves to `undefined`. */
  signal: AbortSignal;
  logger: Logger;
  /** Asked before each attempt (with the attempts let pass in a row so far); false lets this one pass. */
  mayTry?(passed: number): boolean;
}

/**
 * Waits until `name` is free and takes it. Between attempts it sleeps for as long as the holder still has it
 * (capped by `maxWaitMs`), so a lock freed by expiry — a holder killed with SIGKILL — is taken over at once.
 */
export async function waitForLease(
  locks: LockTable,
  name: string,
  token: string,
  { leaseMs, maxWaitMs, signal, logger, mayTry }: WaitForLeaseOptions,
): Promise<Lease | undefined> {
  let hasWarned = false;
  let passed = 0;
  while (!signal.aborted) {
    if (mayTry && !mayTry(passed)) {
      passed++;
      await sleep(maxWaitMs, signal);
      continue;
    }
    passed = 0;
    let waitMs = maxWaitMs;
    const sentAt = Date.now();
    try {
      const result = await locks.acquire(name, token, leaseMs);
      if (result.acquired) {
        if (signal.aborted) {
          await locks.release(name, token).catch(() => undefined);
          return undefined;
        }
        return new Lease(locks, name, token, leaseMs, logger, sentAt);
      }
      if (result.heldForMs >= 0) waitMs = Math.min(maxWaitMs, result.heldForMs + 1);
      hasWarned = false;
    } catch (err) {
      if (!hasWarned) logger.warn({ lock: name, err: String(err) }, 'could not reach the fleet lock table; retrying');
      hasWarned = true;
      waitMs = Math.min(maxWaitMs, 1000);
    }
    await sleep(waitMs, signal);
  }
  return undefined;
}
