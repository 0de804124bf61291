// A small pool of SSH connections to one server: at most `maxConnections` open, idle ones reused, broken ones
// dropped. Opening retries with exponential backoff and jitter a few times before giving the runtime a
// retryable error (whose own retry policy then takes over); a fatal error (login, host key) is not retried.
import { errorKind, FatalError } from '../../core/errors.js';
import type { Logger } from '../../core/plugin.js';
import { FS_ERROR } from '../filesystem/file-system.js';
import type { SshSettings } from './connection.js';
import { SshSession } from './ssh-session.js';

const OPEN_ATTEMPTS = 4;
const FIRST_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 3000;

/** A session lent out; `release` gives it back (or drops it when it broke meanwhile). */
export interface SessionLease {
  readonly session: SshSession;
  release(): void;
}

function backoffMs(attempt: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

export class SessionPool {
  private readonly idle: SshSession[] = [];
  private readonly waiting: Array<() => void> = [];
  private open = 0;
  private isClosed = false;

  constructor(
    readonly settings: SshSettings,
    private readonly logger: Logger,
  ) {}

  async acquire(): Promise<SessionLease> {
    for (;;) {
      if (this.isClosed) {
        throw new FatalError(`${this.settings.where}: the connector is closed`, { code: FS_ERROR.closed });
      }
      const session = this.takeIdle();
      if (session) return this.lease(session);
      if (this.open < this.settings.maxConnections) {
        this.open += 1;
        try {
          return this.lease(await this.openWithBackoff());
        } catch (err) {
          this.open -= 1;
          this.wakeOne();
          throw err;
        }
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  /** Runs `fn` on a pooled session and gives the session back afterwards. */
  async use<T>(fn: (session: SshSession) => Promise<T>): Promise<T> {
    const lease = await this.acquire();
    try {
      return await fn(lease.session);
    } finally {
      lease.release();
    }
  }

  async close(): Promise<void> {
    this.isClosed = true;
    for (const session of this.idle.splice(0)) session.close();
    for (const wake of this.waiting.splice(0)) wake();
  }

  private takeIdle(): SshSession | undefined {
    for (let s = this.idle.pop(); s; s = this.idle.pop()) {
      if (!s.isBroken) return s;
      this.open -= 1;
    }
    return undefined;
  }

  private lease(session: SshSession): SessionLease {
    let isReleased = false;
    return {
      session,
      release: () => {
        if (isReleased) return;
        isReleased = true;
        if (session.isBroken || this.isClosed) {
          session.destroy();
          this.open -= 1;
        } else {
          this.idle.push(session);
        }
        this.wakeOne();
      },
    };
  }

  private wakeOne(): void {
    this.waiting.shift()?.();
  }

  private async openWithBackoff(): Promise<SshSession> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await SshSession.open(this.settings, this.logger);
      } catch (err) {
        if (errorKind(err) !== 'retryable' || attempt + 1 >= OPEN_ATTEMPTS || this.isClosed) throw err;
        const waitMs = backoffMs(attempt);
        this.logger.debug({ attempt: attempt + 1, waitMs }, `${this.settings.where}: connecting failed, retrying`);
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
  }
}
