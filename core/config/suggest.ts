// "Did you mean" for misspelled keys and types.
import { closest, distance } from 'fastest-levenshtein';

/** The closest candidate when it is near enough to be a likely typo. */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(input, candidates as string[]);
  const limit = Math.max(2, Math.floor(Math.max(input.length, best.length) / 3));
  if (distance(input.toLowerCase(), best.toLowerCase()) <= limit) return best;
  const lower = input.toLowerCase();
  return candidates.find((c) => c.toLowerCase().startsWith(lower) || lower.startsWith(c.toLowerCase()));
}

export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const s = suggest(input, candidates);
  return s === undefined ? undefined : `did you mean "${s}"?`;
}
