// A database outage must show in the log without flooding it: one line when the connection is lost, a reminder
// while it stays lost (at most one per `reminderMs`), and one line when it is back. The runtime retries the
// failed batches; the lines only say so. Messages name the database by its label, never its connection string.
import type { SluiceError } from '../../core/errors.js';
import type { Logger } from '../../core/plugin.js';

const CONNECTION_CODE = 'E_SQL_CONNECTION';

export interface OutageLogOptions {
  logger: Logger;
  /** Who is writing to what, e.g. `sql sink of pipeline "gps" writing table "cars"`. */
  what: string;
  /** The database without credentials, e.g. `PostgreSQL database "db" on 127.0.0.1:5432`. */
  database: string;
  reminderMs?: number;
  now?: () => number;
}

export class OutageLog {
  private downSince: number | undefined;
  private lastLine = 0;
  private failures = 0;
  private readonly reminderMs: number;
  private readonly now: () => number;

  constructor(private readonly options: OutageLogOptions) {
    this.reminderMs = options.reminderMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Notes a failed attempt; only a lost connection counts towards an outage. */
  failed(error: SluiceError): void {
    if (error.code !== CONNECTION_CODE) return;
    const { logger, what, database } = this.options;
    const now = this.now();
    this.failures++;
    const fields = { database, code: error.code, error: error.message };
    if (this.downSince === undefined) {
      this.downSince = now;
      this.lastLine = now;
      logger.warn(fields, `${what}: lost the connection to ${database}; retrying with backoff until it is back`);
      return;
    }
    if (now - this.lastLine < this.reminderMs) return;
    this.lastLine = now;
    logger.warn(
      { ...fields, failedAttempts: this.failures },
      `${what}: ${database} still unreachable after ${seconds(now - this.downSince)} ` +
        `(${this.failures} failed attempts); still retrying`,
    );
  }

  /** Notes a successful attempt: ends an outage, if there was one. */
  succeeded(): void {
    if (this.downSince === undefined) return;
    const { logger, what, database } = this.options;
    logger.info(
      { database, failedAttempts: this.failures, downMs: this.now() - this.downSince },
      `${what}: the connection to ${database} is back after ${seconds(this.now() - this.downSince)} ` +
        `(${this.failures} failed attempts)`,
    );
    this.downSince = undefined;
    this.failures = 0;
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
