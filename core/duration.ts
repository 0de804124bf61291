// Durations in config: a number of milliseconds, or text such as `250ms`, `10s`, `5m`, `1h`, `7d`.
import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;

/**
 * The longest delay a Node.js timer can wait (2^31−1 ms, about 24.8 days). A longer one fires at once with a
 * TimeoutOverflowWarning, so every duration that ends up in a timer is bounded by it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Milliseconds for a duration, or `undefined` when the text is not one. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  const m = PATTERN.exec(input);
  if (m) return Math.round(Number(m[1]) * UNITS[m[2]]);
  return /^\s*\d+\s*$/.test(input) ? Number(input) : undefined;
}

/** "2147483647 ms (about 24.8 days)": a bound as a user reads it. */
export function describeMaxDuration(ms: number): string {
  const days = ms / UNITS.d;
  return days >= 1 ? `${ms} ms (about ${Math.floor(days * 10) / 10} days)` : `${ms} ms`;
}

export interface DurationOptions {
  /** Longest accepted duration in ms. Default: {@link MAX_TIMER_MS}, for durations that a timer waits. */
  max?: number;
}

/** A zod field for a duration; its output is milliseconds. */
export function duration(options: DurationOptions = {}) {
  const max = options.max ?? MAX_TIMER_MS;
  return z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `"${v}" is not a duration: use milliseconds or text like 500ms, 10s, 5m, 1h, 7d`,
      });
      return z.NEVER;
    }
    if (ms > max) {
      ctx.addIssue({
        code: 'custom',
        message: `"${v}" is too long: the most this duration takes is ${describeMaxDuration(max)}`,
      });
      return z.NEVER;
    }
    return ms;
  });
}
