// The hidden name of a rolling sink's open file, which is also its commit record: after each batch is appended
// the file is renamed to a name holding its counts, so after a crash the name says how many of its bytes were
// acknowledged (a torn append after them is cut off) and where the file stands against the roll policy.
//   .sluice-open_<partition>_<openedAt>_<events>_<bytes>_<first>_<last>_<token>
// Ids are hex-encoded (they may hold `_`); `token` tells two open files of one partition apart.

const PREFIX = '.sluice-open_';

export interface OpenFileState {
  /** The partition all of its events come from, or `none` for events without ids. */
  partition: string;
  openedAt: number;
  events: number;
  bytes: number;
  /** Ids of its first and last events ('' when the events have none). */
  first: string;
  last: string;
  token: string;
}

const hex = (id: string) => Buffer.from(id, 'utf8').toString('hex');
const unhex = (text: string) => Buffer.from(text, 'hex').toString('utf8');

export function openFileName(s: OpenFileState): string {
  return `${PREFIX}${s.partition}_${s.openedAt}_${s.events}_${s.bytes}_${hex(s.first)}_${hex(s.last)}_${s.token}`;
}

/** The state a name records, or undefined when `name` is not an open file's. */
export function parseOpenFileName(name: string): OpenFileState | undefined {
  if (!name.startsWith(PREFIX)) return undefined;
  const parts = name.slice(PREFIX.length).split('_');
  if (parts.length !== 7) return undefined;
  const [partition, openedAt, events, bytes, first, last, token] = parts as [string, ...string[]];
  const numbers = [openedAt, events, bytes].map(Number);
  if (numbers.some((n) => !Number.isSafeInteger(n) || n < 0)) return undefined;
  if (![first, last].every((h) => /^([0-9a-f]{2})*$/.test(h as string)) || !/^\w+$/.test(partition)) return undefined;
  return {
    partition,
    openedAt: numbers[0] as number,
    events: numbers[1] as number,
    bytes: numbers[2] as number,
    first: unhex(first as string),
    last: unhex(last as string),
    token: token as string,
  };
}

/** The partition an event id names (`<partition>-<ms>-<seq>`), or `none`. */
export function partitionOf(id: string | undefined): string {
  const match = id === undefined ? null : /^(\d+)-\d+-\d+$/.exec(id);
  return match ? (match[1] as string) : 'none';
}
