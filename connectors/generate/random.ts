// Deterministic randomness by position: the n-th event's numbers depend only on the seed and n, never on
// what was generated before, so a restart from a checkpoint continues exactly the same stream.

/** A number in [0, 1) for (seed, index, salt): the same arguments always give the same number. */
export function randomAt(seed: number, index: number, salt: number): number {
  // splitmix32 over a mix of the three inputs: cheap, well spread, and stateless.
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index, 0xc2b2ae35) ^ Math.imul(salt + 1, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad);
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97);
  h ^= h >>> 15;
  return (h >>> 0) / 0x1_0000_0000;
}

/** A number in [min, max) for (seed, index, salt). */
export function randomBetween(seed: number, index: number, salt: number, min: number, max: number): number {
  return min + randomAt(seed, index, salt) * (max - min);
}
