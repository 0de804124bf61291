// The events every scenario and baseline sends: GPS-like readings whose JSON is padded with words to a target
// size (200 bytes, 1 KB), so that they compress like real JSON rather than like random bytes or a run of one
// letter. The same index always gives the same value.

const WORDS =
  'north south engine idle moving parked door open closed fuel low ok driver route depot stop delay traffic clear rain sensor battery gps fix'.split(
    ' ',
  );

/** A value whose JSON text is `bytes` long (for bytes ≥ 120). */
export function eventValue(index: number, bytes: number): Record<string, unknown> {
  let seed = (index * 2654435761) >>> 0;
  const next = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const value: Record<string, unknown> = {
    device: `dev-${String(index % 1000).padStart(4, '0')}`,
    seq: index,
    lat: Number((43 + next()).toFixed(5)),
    lon: Number((-79 - next()).toFixed(5)),
    speed: Number((next() * 120).toFixed(1)),
    note: '',
  };
  const room = bytes - JSON.stringify(value).length;
  let note = '';
  while (note.length < room) note += `${WORDS[Math.floor(next() * WORDS.length)]} `;
  value.note = note.slice(0, Math.max(0, room));
  return value;
}

/** Key of event `index`: 1000 devices, so that partitions and consumers share the work evenly. */
export const keyOf = (index: number): string => `dev-${String(index % 1000).padStart(4, '0')}`;

/**
 * A pool of distinct JSON texts for values of one size: load clients reuse them instead of building each event
 * anew, so that the client spends its share of the two cores on sending.
 */
export function valuePool(bytes: number, size = 256): string[] {
  return Array.from({ length: size }, (_, i) => JSON.stringify(eventValue(i, bytes)));
}
