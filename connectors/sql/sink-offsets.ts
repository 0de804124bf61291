// Effectively-once writes: the sink records, per consumer and topic partition, the id ranges of the batches it
// has written, in a small table of the destination database, updated in the same transaction as the rows. An
// event whose id falls in a recorded range (a retry after a crash between commit and acknowledgement, a stalled
// job run twice) is skipped.
//
// Why ranges and not one high-water mark: the runtime may have several batches of a partition in flight and
// retries a failed one after later ones succeeded; "skip everything below the highest id written" would then
// skip the retried batch. A range [first, last] of a written batch is safe to skip: the runtime claims events of
// a partition in order, so every event between first and last either was in that batch or belongs to a batch
// that was acknowledged earlier. Ranges of the most recent batches are kept (MAX_RANGES per partition); a
// redelivery older than that is written again (at-least-once), never lost.
//
// Event ids are `<partition>-<ms>-<seq>`; a string compare would put `0-999-0` after `0-1000-0`, so ids are
// compared as numbers. The offsets row is locked for the transaction, so two deliveries of one batch serialise.
import type { Knex } from 'knex';
import type { Database } from './connection.js';
import { type QualifiedName, quoteIdentifier, quoteQualified } from './identifiers.js';
import { selectRows } from './raw-query.js';
import { createIfMissing } from './table-schema.js';

export interface EventPosition {
  partition: number;
  ms: bigint;
  seq: bigint;
}

const EVENT_ID = /^(\d+)-(\d+)-(\d+)$/;

/** The position of an event id, or undefined for an id that is not `<partition>-<ms>-<seq>`. */
export function parseEventPosition(id: string | undefined): EventPosition | undefined {
  if (id === undefined) return undefined;
  const m = EVENT_ID.exec(id);
  if (!m) return undefined;
  return { partition: Number(m[1]), ms: BigInt(m[2]), seq: BigInt(m[3]) };
}

/** Compares two positions of the same partition: negative, zero or positive. */
export function comparePositions(a: EventPosition, b: EventPosition): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

export function formatPosition(p: EventPosition): string {
  return `${p.partition}-${p.ms}-${p.seq}`;
}

/** How many written ranges are remembered per partition. */
export const MAX_RANGES = 64;

/** Written ranges of one partition, oldest first, non-overlapping. */
export class WrittenRanges {
  private constructor(private ranges: Array<[EventPosition, EventPosition]>) {}

  static empty(): WrittenRanges {
    return new WrittenRanges([]);
  }

  /** Reads the stored JSON (`[["0-1-0","0-9-0"], …]`); anything unreadable counts as nothing written. */
  static parse(text: string | null | undefined): WrittenRanges {
    if (!text) return WrittenRanges.empty();
    try {
      const raw = JSON.parse(text) as unknown;
      if (!Array.isArray(raw)) return WrittenRanges.empty();
      const ranges: Array<[EventPosition, EventPosition]> = [];
      for (const r of raw) {
        const first = Array.isArray(r) ? parseEventPosition(String(r[0])) : undefined;
        const last = Array.isArray(r) ? parseEventPosition(String(r[1])) : undefined;
        if (first && last) ranges.push([first, last]);
      }
      return new WrittenRanges(ranges);
    } catch {
      return WrittenRanges.empty();
    }
  }

  contains(p: EventPosition): boolean {
    return this.ranges.some(([first, last]) => comparePositions(first, p) <= 0 && comparePositions(p, last) <= 0);
  }

  /** True when one recorded range holds the whole of [first, last]. */
  covers(first: EventPosition, last: EventPosition): boolean {
    return this.ranges.some(([a, b]) => comparePositions(a, first) <= 0 && comparePositions(last, b) <= 0);
  }

  /** Adds a written range, merging it with the ranges it overlaps; the oldest are dropped beyond MAX_RANGES. */
  add(first: EventPosition, last: EventPosition): void {
    let lo = first;
    let hi = last;
    const kept: Array<[EventPosition, EventPosition]> = [];
    for (const [a, b] of this.ranges) {
      if (comparePositions(b, lo) < 0 || comparePositions(hi, a) < 0) kept.push([a, b]);
      else {
        if (comparePositions(a, lo) < 0) lo = a;
        if (comparePositions(b, hi) > 0) hi = b;
      }
    }
    kept.push([lo, hi]);
    this.ranges = kept.slice(-MAX_RANGES);
  }

  /** The highest written id, for people reading the table. */
  highest(): EventPosition | undefined {
    let top: EventPosition | undefined;
    for (const [, b] of this.ranges) if (top === undefined || comparePositions(b, top) > 0) top = b;
    return top;
  }

  toJSON(): string {
    return JSON.stringify(this.ranges.map(([a, b]) => [formatPosition(a), formatPosition(b)]));
  }
}

/** Indexes of the batch's events that a recorded range already holds. */
export function alreadyWritten(
  positions: readonly (EventPosition | undefined)[],
  written: ReadonlyMap<number, WrittenRanges>,
): Set<number> {
  const indexes = new Set<number>();
  for (const [index, p] of positions.entries()) {
    if (p !== undefined && written.get(p.partition)?.contains(p)) indexes.add(index);
  }
  return indexes;
}

/** Adds the batch's range of each partition to `written`; returns the partitions whose record changed. */
export function recordBatch(
  positions: readonly (EventPosition | undefined)[],
  written: ReadonlyMap<number, WrittenRanges>,
): Map<number, WrittenRanges> {
  const ranges = new Map<number, [EventPosition, EventPosition]>();
  for (const p of positions) {
    if (p === undefined) continue;
    const range = ranges.get(p.partition);
    if (!range) ranges.set(p.partition, [p, p]);
    else if (comparePositions(p, range[0]) < 0) range[0] = p;
    else if (comparePositions(p, range[1]) > 0) range[1] = p;
  }
  const changed = new Map<number, WrittenRanges>();
  for (const [partition, [first, last]] of ranges) {
    const recorded = written.get(partition) ?? WrittenRanges.empty();
    if (recorded.covers(first, last)) continue; // a redelivery: nothing new
    recorded.add(first, last);
    changed.set(partition, recorded);
  }
  return changed;
}

export class OffsetsTable {
  private readonly table: string;
  private readonly known = new Set<number>();
  private isCreated = false;

  constructor(
    private readonly db: Database,
    name: QualifiedName,
    private readonly consumer: string,
  ) {
    this.table = quoteQualified(db.dialect, name);
  }

  private get columns() {
    const q = (n: string) => quoteIdentifier(this.db.dialect, n);
    return {
      consumer: q('consumer'),
      partition: q('topic_partition'),
      lastId: q('last_id'),
      written: q('written'),
      updatedAt: q('updated_at'),
    };
  }

  /** Creates the table if needed and makes sure a row exists for each partition, so that it can be locked. */
  async prepare(partitions: Iterable<number>): Promise<void> {
    const c = this.columns;
    if (!this.isCreated) {
      const dialect = this.db.dialect;
      const updatedAt = dialect === 'mysql2' ? 'TIMESTAMP(6) NULL' : dialect === 'pg' ? 'timestamptz' : 'TEXT';
      await createIfMissing(
        this.db,
        `CREATE TABLE IF NOT EXISTS ${this.table} (${c.consumer} VARCHAR(255) NOT NULL, ${c.partition} INTEGER NOT NULL, ` +
          `${c.lastId} VARCHAR(64) NOT NULL, ${c.written} TEXT NOT NULL, ${c.updatedAt} ${updatedAt}, ` +
          `PRIMARY KEY (${c.consumer}, ${c.partition}))`,
      );
      this.isCreated = true;
    }
    const missing = [...partitions].filter((p) => !this.known.has(p));
    if (missing.length === 0) return;
    const values = missing.map(() => "(?, ?, '', '[]')").join(', ');
    const conflict =
      this.db.dialect === 'mysql2'
        ? ` ON DUPLICATE KEY UPDATE ${c.lastId} = ${c.lastId}`
        : ` ON CONFLICT (${c.consumer}, ${c.partition}) DO NOTHING`;
    await this.db.knex.raw(
      `INSERT INTO ${this.table} (${c.consumer}, ${c.partition}, ${c.lastId}, ${c.written}) VALUES ${values}${conflict}`,
      missing.flatMap((p) => [this.consumer, p]),
    );
    for (const p of missing) this.known.add(p);
  }

  /** Locks the partitions' rows for this transaction (in partition order) and returns what they record. */
  async lock(trx: Knex.Transaction, partitions: readonly number[]): Promise<Map<number, WrittenRanges>> {
    const c = this.columns;
    const sorted = [...partitions].sort((a, b) => a - b);
    const forUpdate = this.db.dialect === 'better-sqlite3' ? '' : ' FOR UPDATE';
    const rows = (await selectRows(
      trx,
      `SELECT ${c.partition} AS p, ${c.written} AS w FROM ${this.table} WHERE ${c.consumer} = ? AND ` +
        `${c.partition} IN (${sorted.map(() => '?').join(', ')}) ORDER BY ${c.partition}${forUpdate}`,
      [this.consumer, ...sorted],
    )) as Array<{ p: number | bigint; w: string }>;
    const written = new Map<number, WrittenRanges>();
    for (const p of sorted) written.set(p, WrittenRanges.empty());
    for (const row of rows) written.set(Number(row.p), WrittenRanges.parse(row.w));
    return written;
  }

  async save(trx: Knex.Transaction, written: ReadonlyMap<number, WrittenRanges>): Promise<void> {
    const c = this.columns;
    for (const [partition, ranges] of written) {
      const highest = ranges.highest();
      await trx.raw(
        `UPDATE ${this.table} SET ${c.lastId} = ?, ${c.written} = ?, ${c.updatedAt} = CURRENT_TIMESTAMP ` +
          `WHERE ${c.consumer} = ? AND ${c.partition} = ?`,
        [highest ? formatPosition(highest) : '', ranges.toJSON(), this.consumer, partition],
      );
    }
  }
}
