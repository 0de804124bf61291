import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../../../core/errors.js';
import { backoffDelay, backoffFor, retryAfterOf, retrySchema } from '../../../../core/queue/retry-policy.js';
import { seededRandom as seeded } from '../../../harness/seeded-random.js';

describe('backoffDelay', () => {
  it('draws each delay uniformly below a window that doubles per attempt (full jitter)', () => {
    const random = seeded(42);
    for (let attempt = 1; attempt <= 6; attempt++) {
      const window = 200 * 2 ** (attempt - 1);
      const delays = Array.from({ length: 2000 }, () => backoffDelay({ attempt, baseMs: 200, capMs: 1e9, random }));
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...delays)).toBeLessThan(window);
      // Uniform: the mean sits near half the window and both halves are used.
      const mean = delays.reduce((s, d) => s + d, 0) / delays.length;
      expect(mean / window).toBeGreaterThan(0.45);
      expect(mean / window).toBeLessThan(0.55);
    }
  });

  it('never waits longer than the cap, however many attempts have failed', () => {
    const random = seeded(7);
    for (const attempt of [10, 20, 100, 5000]) {
      const delay = backoffDelay({ attempt, baseMs: 200, capMs: 30_000, random });
      expect(delay).toBeLessThan(30_000);
      expect(Number.isFinite(delay)).toBe(true);
    }
    expect(backoffDelay({ attempt: 5000, baseMs: 200, capMs: 30_000, random: () => 0.999999 })).toBe(29_999);
  });

  it('waits at least the retryAfterMs a destination asked for, even beyond the cap', () => {
    const random = seeded(1);
    for (let attempt = 1; attempt <= 12; attempt++) {
      expect(backoffDelay({ attempt, baseMs: 200, capMs: 30_000, retryAfterMs: 1500, random })).toBeGreaterThanOrEqual(
        1500,
      );
    }
    expect(backoffDelay({ attempt: 1, baseMs: 200, capMs: 30_000, retryAfterMs: 60_000, random })).toBe(60_000);
  });

  it('keeps the jittered delay when it is already past retryAfterMs', () => {
    expect(backoffDelay({ attempt: 8, baseMs: 200, capMs: 30_000, retryAfterMs: 10, random: () => 0.5 })).toBe(12_800);
  });

  it('is deterministic for one seed', () => {
    const run = (seed: number) =>
      Array.from({ length: 10 }, (_, i) =>
        backoffDelay({ attempt: i + 1, baseMs: 100, capMs: 5000, random: seeded(seed) }),
      );
    expect(run(3)).toEqual(run(3));
  });
});

describe('backoffFor', () => {
  it('honours the retryAfterMs carried by a thrown RetryableError', () => {
    const backoff = backoffFor({ baseMs: 200, capMs: 30_000 }, seeded(9));
    const delay = backoff(1, new RetryableError('HTTP 429 from https://api.example', { retryAfterMs: 2500 }));
    expect(delay).toBe(2500);
  });

  it('honours retryAfterMs on an error that crossed a process boundary as JSON', () => {
    const backoff = backoffFor({ baseMs: 200, capMs: 30_000 }, () => 0);
    expect(backoff(1, { kind: 'retryable', message: '429', retryAfterMs: 900 })).toBe(900);
    expect(retryAfterOf({ retryAfterMs: 'soon' })).toBeUndefined();
    expect(retryAfterOf(new Error('plain'))).toBeUndefined();
  });
});

describe('retrySchema', () => {
  it('defaults to 10 attempts, 200 ms base and a 30 s cap', () => {
    expect(retrySchema.parse({})).toEqual({ attempts: 10, baseMs: 200, capMs: 30_000 });
  });

  it('describes every field for the generated docs', () => {
    for (const field of Object.values(retrySchema.shape)) expect(field.description).toBeTruthy();
  });

  it('refuses a cap below the base', () => {
    const result = retrySchema.safeParse({ baseMs: 1000, capMs: 10 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['capMs']);
  });
});
