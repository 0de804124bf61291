// Effectively-once writes: the sink records, per consumer and topic partition, the id ranges of the batches it
// has written, in two small tables of the destination database, updated in the same transaction as the rows.
// An event whose id falls in a recorded range (a retry after a crash between commit and acknowledgement, a
// stalled job run twice, a takeover after kill -9, a replay from the beginning) is skipped.
//
// Why ranges and not one high-water mark: the runtime may have several batches of a partition in flight and
// retries a failed one after later ones succeeded; "skip everything below the highest id written" would then
// skip the retried batch. A range [first, last] of a written batch is safe to skip: the runtime claims events of
// a partition in order, so every event between first and last either was in that batch or belongs to a batch
// that was acknowledged earlier.
//
// Every range is kept (no window: a redelivery or replay of any age is skipped), one row per range in
// `<offsetsTable>_ranges`, keyed by its last position so that a batch reads only the ranges around its own ids.
// Ranges that overlap or touch (the next id in the same millisecond) are merged into one row. A gap between two
// ranges cannot be closed: the sink cannot tell events it never saw from events still on their way.
//
// Event ids are `<partition>-<ms>-<seq>`; a string compare would put `0-999-0` after `0-1000-0`, so positions
// are compared as numbers, and stored as fixed-width text that sorts like them. The partition's row in
// `<offsetsTable>` is locked for the transaction, so two deliveries of one batch serialise; its `written`
// column holds the ranges of earlier versions (the 64 most recent), which are still read.
import type { Knex } from 'knex';
import type { Database } from './connection.js';
import { shortDigits } from './digits.js';
import { type QualifiedName, quoteIdentifier, quoteQualified } from './identifiers.js';
import { KnownOffsets, type SortableRange } from './known-offsets.js';
import { selectRows } from './raw-query.js';
import { createIfMissing } from './table-schema.js';
import { type Statement, VERSION_COLUMN } from './write-statements.js';

export interface EventPosition {
  partition: number;
  ms: bigint;
  seq: bigint;
}

const SORTABLE = /^(\d{20})(\d{20})$/;
const WIDTH = 20; // digits of 2^64 - 1, the largest part of a stream id

/** The position of an event id, or undefined for an id that is not `<partition>-<ms>-<seq>`. */
export function parseEventPosition(id: string | undefined): EventPosition | undefined {
  // Every event of every batch comes here: split by hand, without a regular expression's match array, and parts
  // short enough to be exact as numbers read as numbers.
  if (id === undefined) return undefined;
  const first = id.indexOf('-');
  const second = id.indexOf('-', first + 1);
  if (first < 0 || second < 0) return undefined;
  const partition = digitsValue(id, 0, first);
  const ms = digitsValue(id, first + 1, second);
  const seq = digitsValue(id, second + 1, id.length);
  if (partition === NOT_DIGITS || ms === NOT_DIGITS || seq === NOT_DIGITS) return undefined;
  return {
    partition: Number(partition),
    ms: typeof ms === 'number' ? BigInt(ms) : ms,
    seq: typeof seq === 'number' ? BigInt(seq) : seq,
  };
}

const NOT_DIGITS = -1;
const ALL_DIGITS = /^\d+$/;

/** text[from, to) as a number when it is 1 to 15 ASCII digits, as a bigint when longer, else NOT_DIGITS. */
function digitsValue(text: string, from: number, to: number): number | bigint {
  const short = shortDigits(text, from, to);
  if (short !== undefined) return short;
  const part = text.slice(from, to);
  return ALL_DIGITS.test(part) ? BigInt(part) : NOT_DIGITS;
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

/**
 * Fixed-width digits (`<ms><seq>`, each zero-padded to 20) whose text order is the position order under any
 * collation (locale collations skip punctuation, so there is none).
 */
export function sortablePosition(p: EventPosition): string {
  return `${p.ms.toString().padStart(WIDTH, '0')}${p.seq.toString().padStart(WIDTH, '0')}`;
}

export function parseSortablePosition(text: string, partition: number): EventPosition | undefined {
  const m = SORTABLE.exec(text);
  return m ? { partition, ms: BigInt(m[1]), seq: BigInt(m[2]) } : undefined;
}

/** The id right before `p` in the same millisecond, if there is one. */
function predecessor(p: EventPosition): EventPosition | undefined {
  return p.seq > 0n ? { ...p, seq: p.seq - 1n } : undefined;
}

export type Range = readonly [EventPosition, EventPosition];

/** Ranges of one partition, non-overlapping. */
export class WrittenRanges {
  constructor(readonly ranges: readonly Range[] = []) {}

  static empty(): WrittenRanges {
    return new WrittenRanges();
  }

  /** Reads the JSON of earlier versions (`[["0-1-0","0-9-0"], …]`); anything unreadable counts as nothing. */
  static parse(text: string | null | undefined): WrittenRanges {
    if (!text) return WrittenRanges.empty();
    try {
      const raw = JSON.parse(text) as unknown;
      if (!Array.isArray(raw)) return WrittenRanges.empty();
      const ranges: Range[] = [];
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

  /** True when a recorded range shares a position with [first, last]. */
  overlaps([first, last]: Range): boolean {
    return this.ranges.some(([a, b]) => comparePositions(a, last) <= 0 && comparePositions(first, b) <= 0);
  }

  /** True when one recorded range holds the whole of [first, last]. */
  covers(first: EventPosition, last: EventPosition): boolean {
    return this.ranges.some(([a, b]) => comparePositions(a, first) <= 0 && comparePositions(last, b) <= 0);
  }

  with(other: WrittenRanges): WrittenRanges {
    return new WrittenRanges([...this.ranges, ...other.ranges]);
  }
}

/**
 * The one range that replaces [first, last] and every recorded range it overlaps or touches, and the recorded
 * ranges it replaces.
 */
export function mergeRange(
  first: EventPosition,
  last: EventPosition,
  recorded: readonly Range[],
): { merged: Range; replaced: Range[] } {
  let lo = first;
  let hi = last;
  const replaced: Range[] = [];
  const before = predecessor(first);
  for (const range of recorded) {
    const [a, b] = range;
    const touches = before !== undefined && comparePositions(b, before) === 0;
    const overlaps = comparePositions(a, last) <= 0 && comparePositions(first, b) <= 0;
    const follows = comparePositions(a, { ...last, seq: last.seq + 1n }) === 0;
    if (!touches && !overlaps && !follows) continue;
    replaced.push(range);
    if (comparePositions(a, lo) < 0) lo = a;
    if (comparePositions(b, hi) > 0) hi = b;
  }
  return { merged: [lo, hi], replaced };
}

/**
 * Indexes of the batch's events that a recorded range already holds. With the batch's `spans`, only partitions
 * where a recorded range overlaps the span are looked at event by event: usually none (the range recorded last
 * ends right before the batch).
 */
export function alreadyWritten(
  positions: readonly (EventPosition | undefined)[],
  written: ReadonlyMap<number, WrittenRanges>,
  spans?: ReadonlyMap<number, Range>,
): Set<number> {
  const indexes = new Set<number>();
  const overlapping = new Map<number, WrittenRanges>();
  for (const [partition, ranges] of written) {
    const span = spans?.get(partition);
    if (spans === undefined || (span !== undefined && ranges.overlaps(span))) overlapping.set(partition, ranges);
  }
  if (overlapping.size === 0) return indexes;
  for (const [index, p] of positions.entries()) {
    if (p !== undefined && overlapping.get(p.partition)?.contains(p)) indexes.add(index);
  }
  return indexes;
}

/** The first and last position of the batch in each partition. */
export function batchSpans(positions: readonly (EventPosition | undefined)[]): Map<number, Range> {
  const spans = new Map<number, [EventPosition, EventPosition]>();
  for (const p of positions) {
    if (p === undefined) continue;
    const span = spans.get(p.partition);
    if (!span) spans.set(p.partition, [p, p]);
    else if (comparePositions(p, span[0]) < 0) span[0] = p;
    else if (comparePositions(p, span[1]) > 0) span[1] = p;
  }
  return spans;
}

/** What the offsets tables say about the partitions of a batch. */
export interface PartitionRecords {
  /** Recorded ranges around the batch's span, per partition. */
  written: Map<number, WrittenRanges>;
  /** The highest id written, per partition (shown to people as `last_id`). */
  highest: Map<number, EventPosition | undefined>;
}

// Ranges read per query while looking for those around a batch; one page is the common case.
const PAGE = 64;

/** A partition's row as locked: its partition, last_id and the JSON of earlier versions' ranges. */
interface LockedRow {
  p: number | bigint;
  h: string;
  w: string;
}

interface PageStart {
  operator: '>=' | '>';
  position: string;
}

/** Where the ranges that may overlap or touch [first, last] start, along the key (their last position). */
function startOfRanges([first]: Range): PageStart {
  return { operator: '>=', position: sortablePosition(predecessor(first) ?? first) };
}

/** The sortable position right after the span: a range starting beyond it neither overlaps nor touches. */
function afterSpan([, last]: Range): string {
  return sortablePosition({ ...last, seq: last.seq + 1n });
}

/** The ranges of a page read from startOfRanges on, up to the first that starts after the span. */
function rangesUpTo(page: ReadonlyArray<readonly [string, string]>, span: Range, partition: number): WrittenRanges {
  const limit = afterSpan(span);
  const ranges: Range[] = [];
  for (const [f, l] of page) {
    if (f > limit) break;
    const a = parseSortablePosition(f, partition);
    const b = parseSortablePosition(l, partition);
    if (a && b) ranges.push([a, b]);
  }
  return new WrittenRanges(ranges);
}

/** How recording a span changes a partition's ranges: the merged range, the ranges it replaces, the new top. */
interface RangeChange {
  merged: Range;
  replaced: Range[];
  top: EventPosition;
}

/** The change that records `span`, or undefined when a recorded range already covers it (a redelivery). */
function rangeChange([first, last]: Range, records: PartitionRecords): RangeChange | undefined {
  const recorded = records.written.get(first.partition) ?? WrittenRanges.empty();
  if (recorded.covers(first, last)) return undefined;
  const { merged, replaced } = mergeRange(first, last, recorded.ranges);
  const highest = records.highest.get(first.partition);
  const top = highest !== undefined && comparePositions(highest, merged[1]) > 0 ? highest : merged[1];
  return { merged, replaced, top };
}

export class OffsetsTable {
  private readonly table: string;
  private readonly rangesTable: string;
  private readonly partitionsWithRow = new Set<number>();
  private readonly knowledge = new KnownOffsets();
  private isCreated = false;

  constructor(
    private readonly db: Database,
    name: QualifiedName,
    private readonly consumer: string,
  ) {
    this.table = quoteQualified(db.dialect, name);
    this.rangesTable = quoteQualified(db.dialect, { ...name, name: `${name.name}_ranges` });
  }

  private q(name: string): string {
    return quoteIdentifier(this.db.dialect, name);
  }

  /** Creates the tables if needed and makes sure a row exists for each partition, so that it can be locked. */
  async prepare(partitions: Iterable<number>): Promise<void> {
    const q = (n: string) => this.q(n);
    if (!this.isCreated) {
      const dialect = this.db.dialect;
      const updatedAt = dialect === 'mysql2' ? 'TIMESTAMP(6) NULL' : dialect === 'pg' ? 'timestamptz' : 'TEXT';
      await createIfMissing(
        this.db,
        `CREATE TABLE IF NOT EXISTS ${this.table} (${q('consumer')} VARCHAR(255) NOT NULL, ` +
          `${q('topic_partition')} INTEGER NOT NULL, ${q('last_id')} VARCHAR(64) NOT NULL, ${q('written')} TEXT NOT NULL, ` +
          `${q('updated_at')} ${updatedAt}, PRIMARY KEY (${q('consumer')}, ${q('topic_partition')}))`,
      );
      await createIfMissing(
        this.db,
        `CREATE TABLE IF NOT EXISTS ${this.rangesTable} (${q('consumer')} VARCHAR(255) NOT NULL, ` +
          `${q('topic_partition')} INTEGER NOT NULL, ${q('first_position')} VARCHAR(40) NOT NULL, ` +
          `${q('last_position')} VARCHAR(40) NOT NULL, ` +
          `PRIMARY KEY (${q('consumer')}, ${q('topic_partition')}, ${q('last_position')}))`,
      );
      this.isCreated = true;
    }
    const missing = [...partitions].filter((p) => !this.partitionsWithRow.has(p));
    if (missing.length === 0) return;
    const values = missing.map(() => "(?, ?, '', '[]')").join(', ');
    const conflict =
      this.db.dialect === 'mysql2'
        ? ` ON DUPLICATE KEY UPDATE ${q('last_id')} = ${q('last_id')}`
        : ` ON CONFLICT (${q('consumer')}, ${q('topic_partition')}) DO NOTHING`;
    await this.db.knex.raw(
      `INSERT INTO ${this.table} (${q('consumer')}, ${q('topic_partition')}, ${q('last_id')}, ${q('written')}) ` +
        `VALUES ${values}${conflict}`,
      missing.flatMap((p) => [this.consumer, p]),
    );
    for (const p of missing) this.partitionsWithRow.add(p);
  }

  /**
   * Locks the partitions' rows for this transaction (in partition order) and returns, per partition, the
   * recorded ranges that overlap or touch the batch's span: all that deciding and recording the batch needs.
   */
  async lock(trx: Knex.Transaction, spans: ReadonlyMap<number, Range>): Promise<PartitionRecords> {
    const sorted = [...spans.keys()].sort((a, b) => a - b);
    const locked = this.db.dialect === 'pg' ? await this.lockReadingPg(trx, spans, sorted) : undefined;
    const rows = locked ?? (await this.lockRows(trx, sorted));
    const legacy = new Map(rows.map((row) => [Number(row.p), WrittenRanges.parse(row.w)]));
    const highest = new Map(rows.map((row) => [Number(row.p), parseEventPosition(row.h)]));
    const written = new Map<number, WrittenRanges>();
    for (const p of sorted) {
      const read = locked?.find((row) => Number(row.p) === p);
      const recorded = read?.ranges ?? (await this.rangesAround(trx, spans.get(p)!));
      written.set(p, recorded.with(legacy.get(p) ?? WrittenRanges.empty()));
    }
    return { written, highest };
  }

  private async lockRows(trx: Knex.Transaction, sorted: readonly number[]): Promise<LockedRow[]> {
    const q = (n: string) => this.q(n);
    const forUpdate = this.db.dialect === 'better-sqlite3' ? '' : ' FOR UPDATE';
    return (await selectRows(
      trx,
      `SELECT ${q('topic_partition')} AS p, ${q('last_id')} AS h, ${q('written')} AS w FROM ${this.table} WHERE ${q('consumer')} = ? AND ` +
        `${q('topic_partition')} IN (${sorted.map(() => '?').join(', ')}) ORDER BY ${q('topic_partition')}${forUpdate}`,
      [this.consumer, ...sorted],
    )) as LockedRow[];
  }

  /**
   * PostgreSQL: the lock and the first page of ranges in one statement. The ranges are read in the statement's
   * snapshot, taken before the lock was granted; they are current unless a transaction that held the lock
   * committed meanwhile, which shows as a row version (xmin) newer than the snapshot's, since every batch that
   * records ranges also updates its partition's row. Such a partition's ranges, and any that filled the page,
   * are left to rangesAround, read under the lock.
   */
  private async lockReadingPg(
    trx: Knex.Transaction,
    spans: ReadonlyMap<number, Range>,
    sorted: readonly number[],
  ): Promise<Array<LockedRow & { ranges?: WrittenRanges }>> {
    const q = (n: string) => this.q(n);
    const [consumer, partition, first, last] = ['consumer', 'topic_partition', 'first_position', 'last_position'].map(
      q,
    );
    const rows = (await selectRows(
      trx,
      `SELECT o.${partition} AS p, o.${q('last_id')} AS h, o.${q('written')} AS w, ` +
        `o.xmin::text = (SELECT s.xmin::text FROM ${this.table} s WHERE s.${consumer} = o.${consumer} AND ` +
        `s.${partition} = o.${partition}) AS fresh, ` +
        `(SELECT json_agg(json_build_array(r.f, r.l) ORDER BY r.l) FROM (SELECT ${first} AS f, ${last} AS l ` +
        `FROM ${this.rangesTable} x WHERE x.${consumer} = o.${consumer} AND x.${partition} = o.${partition} AND ` +
        `x.${last} >= v.after ORDER BY x.${last} LIMIT ${PAGE}) r) AS ranges ` +
        `FROM ${this.table} o JOIN (VALUES ${sorted.map(() => '(CAST(? AS integer), CAST(? AS text))').join(', ')}) ` +
        `AS v(p, after) ON o.${partition} = v.p WHERE o.${consumer} = ? ORDER BY o.${partition} FOR UPDATE OF o`,
      [...sorted.flatMap((p) => [p, startOfRanges(spans.get(p)!).position]), this.consumer],
    )) as Array<LockedRow & { fresh: boolean; ranges: Array<[string, string]> | null }>;
    return rows.map((row) => {
      const page = row.ranges ?? [];
      const locked: LockedRow & { ranges?: WrittenRanges } = { p: row.p, h: row.h, w: row.w };
      if (row.fresh && page.length < PAGE) locked.ranges = rangesUpTo(page, spans.get(Number(row.p))!, Number(row.p));
      return locked;
    });
  }

  /** Recorded ranges of one partition that overlap or touch [first, last], read in pages along the key. */
  private async rangesAround(trx: Knex.Transaction, span: Range): Promise<WrittenRanges> {
    const q = (n: string) => this.q(n);
    const ranges: Array<[string, string]> = [];
    let after = startOfRanges(span);
    for (;;) {
      const rows = (await selectRows(
        trx,
        `SELECT ${q('first_position')} AS f, ${q('last_position')} AS l FROM ${this.rangesTable} ` +
          `WHERE ${q('consumer')} = ? AND ${q('topic_partition')} = ? AND ${q('last_position')} ${after.operator} ? ` +
          `ORDER BY ${q('last_position')} LIMIT ${PAGE}`,
        [this.consumer, span[0].partition, after.position],
      )) as Array<{ f: string; l: string }>;
      ranges.push(...rows.map((row): [string, string] => [row.f, row.l]));
      const isPastSpan = rows.length > 0 && rows[rows.length - 1].f > afterSpan(span);
      if (rows.length < PAGE || isPastSpan) return rangesUpTo(ranges, span, span[0].partition);
      after = { operator: '>', position: rows[rows.length - 1].l };
    }
  }

  /**
   * The statements that record the batch's span of each partition (unless a recorded range already covers it):
   * the merged range replaces the ranges it swallows and the partition's row moves on. No two of them touch the
   * same row, so they can run as one statement: the merged range is upserted rather than deleted and inserted.
   */
  recordings(spans: ReadonlyMap<number, Range>, records: PartitionRecords): Statement[] {
    const statements: Statement[] = [];
    for (const [partition, span] of spans) {
      const change = rangeChange(span, records);
      if (!change) continue; // a redelivery: nothing new
      statements.push(...this.rangeStatements(partition, change), this.rowUpdate(partition, change.top));
    }
    return statements;
  }

  /**
   * PostgreSQL: batches of one partition, to be written in this order, as one guarded write from what this
   * process knows of the partition's offsets, without a query. `records` holds what each batch is decided against
   * (the recorded ranges around it once the batches before it are recorded); `guard` moves the partition's row on
   * only if it is still at the version this process knows, and returns the new version as VERSION_COLUMN;
   * `bookkeeping` takes the ranges table from what this process knows to what it is after all of the batches;
   * `learn` takes the new version once the statement has committed. Undefined when this process does not know
   * enough (a batch of several partitions, a partition not written here yet, a batch reaching back further).
   */
  guarded(
    batches: ReadonlyArray<ReadonlyMap<number, Range>>,
  ):
    | { records: PartitionRecords[]; guard: Statement; bookkeeping: Statement[]; learn(version: string): void }
    | undefined {
    if (this.db.dialect !== 'pg' || batches.length === 0 || batches.some((spans) => spans.size !== 1)) return undefined;
    const [[partition]] = batches[0];
    const known = this.knowledge.get(partition);
    if (!known || batches.some((spans) => !spans.has(partition))) return undefined;
    let ranges = [...known.ranges];
    let highest = known.highest;
    let isChanged = false;
    const records: PartitionRecords[] = [];
    for (const spans of batches) {
      const span = spans.get(partition)!;
      const start = startOfRanges(span).position;
      if (start < known.from) return undefined;
      const page = ranges.filter(([, last]) => last >= start);
      const batchRecords = {
        written: new Map([[partition, rangesUpTo(page, span, partition).with(known.legacy)]]),
        highest: new Map([[partition, highest]]),
      };
      records.push(batchRecords);
      const change = rangeChange(span, batchRecords);
      if (!change) continue; // a redelivery: nothing new
      const gone = new Set(change.replaced.map(([, b]) => sortablePosition(b)));
      const merged: SortableRange = [sortablePosition(change.merged[0]), sortablePosition(change.merged[1])];
      ranges = [...ranges.filter(([, last]) => !gone.has(last) && last !== merged[1]), merged].sort((a, b) =>
        a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0,
      );
      highest = change.top;
      isChanged = true;
    }
    const q = (n: string) => this.q(n);
    const set = isChanged
      ? { sql: `${q('last_id')} = ?, ${q('updated_at')} = CURRENT_TIMESTAMP`, bindings: [formatPosition(highest!)] }
      : { sql: `${q('last_id')} = ${q('last_id')}`, bindings: [] };
    const guard = {
      sql:
        `UPDATE ${this.table} SET ${set.sql} WHERE ${q('consumer')} = ? AND ${q('topic_partition')} = ? AND ` +
        `xmin::text = ? RETURNING xmin::text AS ${VERSION_COLUMN}`,
      bindings: [...set.bindings, this.consumer, partition, known.version],
    };
    const learn = (version: string) => this.knowledge.set(partition, { ...known, version, ranges, highest });
    return { records, guard, bookkeeping: this.rangesBecome(partition, known.ranges, ranges), learn };
  }

  /**
   * The statements that take a partition's rows in the ranges table from `before` to `after` (both complete from
   * the same position on): the ranges gone are deleted, the new or changed ones upserted. No two touch one row.
   */
  private rangesBecome(partition: number, before: readonly SortableRange[], after: readonly SortableRange[]) {
    const kept = new Map(after.map(([first, last]) => [last, first]));
    const was = new Map(before.map(([first, last]) => [last, first]));
    const gone = before.map(([, last]) => last).filter((last) => !kept.has(last));
    const upserts = after.filter(([first, last]) => was.get(last) !== first);
    return this.rangeWrites(partition, gone, upserts);
  }

  /**
   * PostgreSQL, inside a locking transaction of a batch of one partition, after its recordings: reads the
   * partition's row version and the ranges from the batch's on, still under the lock, and returns what to
   * remember once the transaction has committed.
   */
  async learn(trx: Knex.Transaction, spans: ReadonlyMap<number, Range>): Promise<(() => void) | undefined> {
    if (this.db.dialect !== 'pg' || spans.size !== 1) return undefined;
    const [[partition, span]] = spans;
    const q = (n: string) => this.q(n);
    const [consumer, partitionColumn, last] = ['consumer', 'topic_partition', 'last_position'].map(q);
    const from = startOfRanges(span).position;
    const [row] = (await selectRows(
      trx,
      `SELECT o.xmin::text AS v, o.${q('last_id')} AS h, o.${q('written')} AS w, ` +
        `(SELECT json_agg(json_build_array(r.f, r.l) ORDER BY r.l) FROM (SELECT ${q('first_position')} AS f, ` +
        `${last} AS l FROM ${this.rangesTable} x WHERE x.${consumer} = o.${consumer} AND ` +
        `x.${partitionColumn} = o.${partitionColumn} AND x.${last} >= ? ORDER BY x.${last} LIMIT ${PAGE + 1}) r) ` +
        `AS ranges FROM ${this.table} o WHERE o.${consumer} = ? AND o.${partitionColumn} = ?`,
      [from, this.consumer, partition],
    )) as Array<{ v: string; h: string; w: string; ranges: Array<[string, string]> | null }>;
    if (!row) {
      // The row was deleted (the offsets reset by hand): the next batch creates it again.
      this.partitionsWithRow.delete(partition);
      return undefined;
    }
    const ranges = row.ranges ?? [];
    if (ranges.length > PAGE) return undefined;
    return () =>
      this.knowledge.set(partition, {
        version: row.v,
        from,
        ranges,
        highest: parseEventPosition(row.h),
        legacy: WrittenRanges.parse(row.w),
      });
  }

  /** Forgets what this process knew of these partitions: their next batch locks and reads. */
  forget(partitions: Iterable<number>): void {
    this.knowledge.forget(partitions);
  }

  private rangeStatements(partition: number, { merged, replaced }: RangeChange): Statement[] {
    const mergedLast = sortablePosition(merged[1]);
    const stored = replaced.map(([, b]) => sortablePosition(b)).filter((b) => b !== mergedLast);
    return this.rangeWrites(partition, stored, [[sortablePosition(merged[0]), mergedLast]]);
  }

  /** Deletes the partition's ranges ending at `gone` and inserts or updates `upserts` (first, last), by last. */
  private rangeWrites(partition: number, gone: readonly string[], upserts: readonly SortableRange[]): Statement[] {
    const q = (n: string) => this.q(n);
    const statements: Statement[] = [];
    if (gone.length > 0) {
      statements.push({
        sql:
          `DELETE FROM ${this.rangesTable} WHERE ${q('consumer')} = ? AND ${q('topic_partition')} = ? AND ` +
          `${q('last_position')} IN (${gone.map(() => '?').join(', ')})`,
        bindings: [this.consumer, partition, ...gone],
      });
    }
    if (upserts.length === 0) return statements;
    const firstPosition = q('first_position');
    const upsert =
      this.db.dialect === 'mysql2'
        ? `ON DUPLICATE KEY UPDATE ${firstPosition} = VALUES(${firstPosition})`
        : `ON CONFLICT (${q('consumer')}, ${q('topic_partition')}, ${q('last_position')}) DO UPDATE SET ` +
          `${firstPosition} = excluded.${firstPosition}`;
    statements.push({
      sql:
        `INSERT INTO ${this.rangesTable} (${q('consumer')}, ${q('topic_partition')}, ${firstPosition}, ` +
        `${q('last_position')}) VALUES ${upserts.map(() => '(?, ?, ?, ?)').join(', ')} ${upsert}`,
      bindings: upserts.flatMap(([first, last]) => [this.consumer, partition, first, last]),
    });
    return statements;
  }

  private rowUpdate(partition: number, top: EventPosition): Statement {
    const q = (n: string) => this.q(n);
    return {
      sql:
        `UPDATE ${this.table} SET ${q('last_id')} = ?, ${q('updated_at')} = CURRENT_TIMESTAMP ` +
        `WHERE ${q('consumer')} = ? AND ${q('topic_partition')} = ?`,
      bindings: [formatPosition(top), this.consumer, partition],
    };
  }
}
