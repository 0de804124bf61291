// Durations in config: a number of milliseconds, or text such as `250ms`, `10s`, `5m`, `1h`, `7d`.
import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;

/** Milliseconds for a duration, or `undefined` when the text is not one. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  const m = PATTERN.exec(input);
  if (m) return Math.round(Number(m[1]) * UNITS[m[2]]);
  return /^\s*\d+\s*$/.test(input) ? Number(input) : undefined;
}

/** A zod field for a duration; its output is milliseconds. */
export function duration() {
  return z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `"${v}" is not a duration: use milliseconds or text like 500ms, 10s, 5m, 1h, 7d`,
      });
      return z.NEVER;
    }
    return ms;
  });
}
