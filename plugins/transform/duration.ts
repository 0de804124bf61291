// Durations in config: `500ms`, `10s`, `5m`, `1h`, `1d` (decimals allowed: `1.5s`) or a number of milliseconds.
// The schema turns them into milliseconds, so a processor's config already holds a number.
import { z } from '../../core/plugin.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_TEXT = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;

/** Milliseconds in a duration given as text (`10s`; a bare number is ms) or a number of ms; undefined when invalid. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  const match = DURATION_TEXT.exec(input);
  if (!match) return undefined;
  const unit = (match[2] ?? 'ms') as keyof typeof UNIT_MS;
  return Math.round(Number(match[1]) * UNIT_MS[unit]);
}

/** Config field for a duration; its output is milliseconds. Add `.describe()` where it is used. */
export const durationSchema = z
  .union([
    z.number().nonnegative(),
    z.string().regex(DURATION_TEXT, { error: 'expected a duration like 500ms, 10s, 5m, 1h, 1d or a number of ms' }),
  ])
  .transform((input) => parseDuration(input) as number);
