// What this process knows of a partition's written ranges (PostgreSQL), so that a batch can be written in one
// statement instead of a transaction that first locks and reads the offsets. Knowledge is tied to one version of
// the partition's offsets row (its xmin): every batch that records ranges updates that row, so while the row is
// at that version nobody else has recorded anything. The one-statement write checks the version as it updates
// the row and fails whole when the row moved (write-statements.ts, oneStatement); the batch then takes the
// locking path, which reads what is there and teaches it here again. Positions are the sortable text of
// sink-offsets.ts, which compares like the positions.
import type { EventPosition, WrittenRanges } from './sink-offsets.js';

// Ranges kept per partition; the lowest are forgotten beyond this (a batch that reaches back to them is written
// the locking way). Ranges merge while batches arrive in order, so there is usually one.
const MAX_RANGES = 64;

/** A range as sortable positions: [first, last]. */
export type SortableRange = readonly [string, string];

export interface PartitionKnowledge {
  /** xmin of the partition's offsets row, as text. */
  version: string;
  /** Every recorded range whose last position is at or after this one is in `ranges`. */
  from: string;
  /** Sorted by last position. */
  ranges: SortableRange[];
  highest: EventPosition | undefined;
  /** Ranges of the row's `written` column (earlier versions), which never change. */
  legacy: WrittenRanges;
}

export class KnownOffsets {
  private readonly partitions = new Map<number, PartitionKnowledge>();

  get(partition: number): PartitionKnowledge | undefined {
    return this.partitions.get(partition);
  }

  set(partition: number, knowledge: PartitionKnowledge): void {
    const ranges = [...knowledge.ranges].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    const kept = ranges.slice(-MAX_RANGES);
    // Nothing lies between a forgotten range and the lowest one kept: everything from the latter on is known.
    const from = kept.length < ranges.length ? kept[0][1] : knowledge.from;
    this.partitions.set(partition, { ...knowledge, ranges: kept, from });
  }

  forget(partitions: Iterable<number>): void {
    for (const p of partitions) this.partitions.delete(p);
  }
}
