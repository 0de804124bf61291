// What an operator reads about a failing sink: one line when it starts failing, one when it recovers, and while
// it keeps failing a summary at most once per interval, instead of a warning and a stack trace per batch. A sink
// that flaps (fails again within an interval of recovering) does so quietly: its next lines are the summaries.
import { toSluiceError } from '../errors.js';
import type { Logger } from '../plugin.js';

/** Default time between two "still failing" summaries, ms. */
export const SINK_SUMMARY_EVERY_MS = 60_000;

export interface SinkHealthOptions {
  pipeline: string;
  sink: string;
  logger: Logger;
  /** Turns an error message into one fit to log (secrets removed). */
  redact(text: string): string;
  summaryEveryMs?: number;
  now?: () => number;
}

export class SinkHealth {
  private failingSince?: number;
  private failures = 0;
  private deadLettered = 0;
  private lastSummaryAt = 0;
  private failuresSinceSummary = 0;
  private deadLetteredSinceSummary = 0;
  private recoveredAt = Number.NEGATIVE_INFINITY;
  /** Failing again soon after recovering: state changes are not logged, the summaries say it. */
  private isQuiet = false;

  constructor(private readonly o: SinkHealthOptions) {}

  get isFailing(): boolean {
    return this.failingSince !== undefined;
  }

  /** A batch failed; `deadLettered` events of it were given up on and sent to the dead-letter topic. */
  failed(error: unknown, deadLettered = 0): void {
    const now = this.now();
    const e = toSluiceError(error);
    const fields = { pipeline: this.o.pipeline, sink: this.o.sink, code: e.code, kind: e.kind };
    const message = this.o.redact(e.message);
    this.failures++;
    this.failuresSinceSummary++;
    this.deadLettered += deadLettered;
    this.deadLetteredSinceSummary += deadLettered;
    if (this.failingSince === undefined) {
      this.failingSince = now;
      this.isQuiet = now - this.recoveredAt < this.every();
      if (this.isQuiet) return;
      this.lastSummaryAt = now;
      this.failuresSinceSummary = 0;
      this.deadLetteredSinceSummary = 0;
      this.o.logger.warn(
        { ...fields, error: message, deadLettered },
        `sink "${this.o.sink}" of pipeline "${this.o.pipeline}" is failing: ${message}; retrying with backoff (the next lines: a summary every ${Math.round(this.every() / 1000)} s, and one when it recovers)`,
      );
      return;
    }
    if (now - this.lastSummaryAt < this.every()) return;
    this.o.logger.warn(
      {
        ...fields,
        error: message,
        failures: this.failuresSinceSummary,
        deadLettered: this.deadLetteredSinceSummary,
        failingForMs: now - this.failingSince,
      },
      `sink "${this.o.sink}" of pipeline "${this.o.pipeline}" is still failing: ${this.failuresSinceSummary} failed batch(es), ${this.deadLetteredSinceSummary} event(s) dead-lettered since the last line; last error: ${message}`,
    );
    this.lastSummaryAt = now;
    this.failuresSinceSummary = 0;
    this.deadLetteredSinceSummary = 0;
  }

  /** A batch was written: a failing sink has recovered. */
  succeeded(): void {
    if (this.failingSince === undefined) return;
    const now = this.now();
    const forMs = now - this.failingSince;
    this.failingSince = undefined;
    this.recoveredAt = now;
    if (this.isQuiet) return;
    this.o.logger.info(
      {
        pipeline: this.o.pipeline,
        sink: this.o.sink,
        failures: this.failures,
        deadLettered: this.deadLettered,
        failingForMs: forMs,
      },
      `sink "${this.o.sink}" of pipeline "${this.o.pipeline}" recovered after ${Math.round(forMs / 1000)} s (${this.failures} failed batch(es), ${this.deadLettered} event(s) dead-lettered)`,
    );
    this.failures = 0;
    this.deadLettered = 0;
  }

  private every(): number {
    return this.o.summaryEveryMs ?? SINK_SUMMARY_EVERY_MS;
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }
}
