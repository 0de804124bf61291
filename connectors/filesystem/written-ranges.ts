// Which events a rolling file sink has stored already, per partition, so that a batch delivered again (a retry
// after the file was committed but before the acknowledgement, a stalled job run twice, a takeover after a
// crash) is skipped instead of being written into a second file.
//
// Ranges, not one high-water mark: with `ordered: false` several batches of a partition are in flight and a
// failed one is retried after later ones succeeded. A range [first, last] of a stored batch is safe to skip
// because the runtime claims a partition's events in order: every event between first and last was in that
// batch or was acknowledged before. Ids are `<partition>-<ms>-<seq>` and compared as numbers. The most recent
// MAX_RANGES ranges per partition are kept, in the component's state (Redis in a fleet): redeliveries are of
// batches recently in flight, and a partition has at most `concurrency` of those.
import { randomBytes } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import type { StateStore } from '../../core/plugin.js';

export const MAX_RANGES = 256;

type Position = readonly [bigint, bigint];
type Range = readonly [string, string];

function positionOf(id: string): Position | undefined {
  const match = /^\d+-(\d+)-(\d+)$/.exec(id);
  return match ? [BigInt(match[1] as string), BigInt(match[2] as string)] : undefined;
}

function compare(a: Position, b: Position): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] === b[1] ? 0 : a[1] < b[1] ? -1 : 1;
}

/** The ranges of one partition: sorted, not overlapping. */
export class WrittenRanges {
  private ranges: Array<{ from: Position; to: Position; ids: Range }> = [];

  constructor(stored: readonly Range[] = []) {
    for (const [first, last] of stored) this.add(first, last);
  }

  /** True when `id` lies in a stored range; ids that are not positions are never skipped. */
  has(id: string | undefined): boolean {
    const at = id === undefined ? undefined : positionOf(id);
    return at !== undefined && this.ranges.some((r) => compare(r.from, at) <= 0 && compare(at, r.to) <= 0);
  }

  add(first: string, last: string): void {
    const from = positionOf(first);
    const to = positionOf(last);
    if (from === undefined || to === undefined) return;
    let next = { from, to, ids: [first, last] as Range };
    const kept: typeof this.ranges = [];
    for (const r of this.ranges) {
      if (compare(r.to, next.from) < 0 || compare(next.to, r.from) < 0) {
        kept.push(r);
        continue;
      }
      const low = compare(r.from, next.from) < 0 ? r : next;
      const high = compare(r.to, next.to) > 0 ? r : next;
      next = { from: low.from, to: high.to, ids: [low.ids[0], high.ids[1]] };
    }
    kept.push(next);
    kept.sort((a, b) => compare(a.from, b.from));
    this.ranges = kept.slice(-MAX_RANGES);
  }

  toJSON(): Range[] {
    return this.ranges.map((r) => r.ids);
  }
}

// How long a record may hold a partition's lock: a sink that dies holding it delays the others this long at most.
const LOCK_MS = 5000;

/**
 * The ranges in a component's state, one key per partition. A record reads, changes and writes the key back, so
 * records of one partition (several workers with `ordered: false`) take a lock first and never lose each other's.
 */
export class WrittenRangeStore {
  constructor(private readonly state: StateStore) {}

  async load(partition: string): Promise<WrittenRanges> {
    const stored = await this.state.get(`written:${partition}`);
    return new WrittenRanges(stored === undefined ? [] : (JSON.parse(stored) as Range[]));
  }

  async record(partition: string, first: string, last: string): Promise<void> {
    const lock = `written-lock:${partition}`;
    const token = randomBytes(8).toString('hex');
    // Past LOCK_MS the holder is gone and its lock has expired: the loop then takes it.
    while (!(await this.state.setIfAbsent(lock, token, LOCK_MS))) await setTimeout(10);
    try {
      const ranges = await this.load(partition);
      ranges.add(first, last);
      await this.state.set(`written:${partition}`, JSON.stringify(ranges));
    } finally {
      if ((await this.state.get(lock)) === token) await this.state.delete(lock);
    }
  }
}
