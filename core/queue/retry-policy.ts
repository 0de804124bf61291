// The one retry policy of the system: exponential backoff with "full jitter", as described by Marc Brooker in
// "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015): sleep = random(0, min(cap, base * 2^(n-1))).
// Full jitter is stateless (it needs only the attempt number, which is all BullMQ hands a backoff strategy) and
// spreads a fleet's retries best. A sink's `retryAfterMs` (a 429's Retry-After) is a floor.
import { z } from 'zod';
import { describeMaxDuration, MAX_TIMER_MS } from '../duration.js';

const timerBound = { message: `the most a timer can wait is ${describeMaxDuration(MAX_TIMER_MS)}` };

/** The retry settings of a sink; a fragment for the config layer. */
export const retrySchema = z
  .object({
    attempts: z
      .number()
      .int()
      .min(1)
      .default(10)
      .describe('Attempts in all for one batch, the first included; 1 means never retry.'),
    baseMs: z
      .number()
      .int()
      .min(1)
      .max(MAX_TIMER_MS, timerBound)
      .default(200)
      .describe('Milliseconds of the first backoff window; each further attempt doubles it.'),
    capMs: z
      .number()
      .int()
      .min(1)
      .max(MAX_TIMER_MS, timerBound)
      .default(30_000)
      .describe('Longest backoff window in milliseconds, whatever the attempt number.'),
  })
  .refine((r) => r.capMs >= r.baseMs, { message: 'capMs must be at least baseMs', path: ['capMs'] });

export type RetryPolicy = z.output<typeof retrySchema>;

export interface BackoffInput {
  /** The attempt that just failed, 1 for the first. */
  attempt: number;
  baseMs: number;
  capMs: number;
  /** Earliest retry the destination asked for; the delay is never shorter. */
  retryAfterMs?: number;
  /** Uniform in [0, 1); `Math.random` unless a test seeds it. */
  random?: () => number;
}

/**
 * Milliseconds to wait before the next attempt: uniform in [0, min(capMs, baseMs * 2^(attempt-1))), and at least
 * `retryAfterMs`. The floor wins over the cap: retrying before the destination allows only spends an attempt.
 */
export function backoffDelay({ attempt, baseMs, capMs, retryAfterMs, random = Math.random }: BackoffInput): number {
  // 2^(attempt-1) overflows to Infinity past ~1024 attempts; min() keeps the window finite.
  const window = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(random() * window);
  const floor = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) ? Math.max(0, Math.ceil(retryAfterMs)) : 0;
  return Math.max(jittered, floor);
}

/** The `retryAfterMs` a thrown value carries (a `RetryableError` or its JSON form), if any. */
export function retryAfterOf(error: unknown): number | undefined {
  if (error === null || typeof error !== 'object' || !('retryAfterMs' in error)) return undefined;
  const value = (error as { retryAfterMs: unknown }).retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A `ConsumeOptions.backoff` for a policy: full-jitter delays honouring the thrown error's `retryAfterMs`. */
export function backoffFor(
  policy: Pick<RetryPolicy, 'baseMs' | 'capMs'>,
  random: () => number = Math.random,
): (attempt: number, error: unknown) => number {
  return (attempt, error) =>
    backoffDelay({
      attempt,
      baseMs: policy.baseMs,
      capMs: policy.capMs,
      retryAfterMs: retryAfterOf(error),
      random,
    });
}
