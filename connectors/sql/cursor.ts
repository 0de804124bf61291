// The source cursor: which rows one poll returns and where the next poll starts. The checkpoint is stored by
// the runtime atomically with the events, so the only way to lose or repeat a row is for this logic to step
// over a row that is not yet visible, or to stop inside a set of rows it cannot find again. It never does:
//  - timestamp modes read only rows older than the database clock minus `visibilityDelayMs`, so a transaction
//    that commits late (within the delay) is still read;
//  - `timestamp` mode (no tie-breaker) only advances past a complete set of rows sharing a timestamp;
//  - `incrementing` mode stops at a gap in the sequence (an uncommitted or rolled-back id) and steps over it
//    only once the gap has been open for `visibilityDelayMs` by the database clock.
import { FatalError } from '../../core/errors.js';
import { z } from '../../core/plugin.js';
import { shortDigits } from './digits.js';
import type { CursorValue, RowQuery } from './select-query.js';

export type Mode = 'bulk' | 'incrementing' | 'timestamp' | 'timestamp+incrementing' | 'query';

const cursorValue = z.union([z.string(), z.number()]);

const checkpointSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('bulk') }),
  z.object({
    mode: z.literal('incrementing'),
    incrementing: cursorValue.optional(),
    /**
     * Observations made while blocked by a gap: the highest id then visible and when (database clock, ms).
     * Once an observation is older than the delay, every gap below its id is taken as rolled back.
     */
    horizons: z.array(z.object({ incrementing: cursorValue, at: z.number() })).optional(),
  }),
  z.object({ mode: z.literal('timestamp'), timestamp: cursorValue.optional() }),
  z.object({
    mode: z.literal('timestamp+incrementing'),
    timestamp: cursorValue.optional(),
    incrementing: cursorValue.optional(),
  }),
  z.object({ mode: z.literal('query'), cursor: cursorValue.optional() }),
]);

export type Checkpoint = z.output<typeof checkpointSchema>;

/** Reads a stored checkpoint; undefined (never polled, or reset with `sluice offsets`) starts from the beginning. */
export function parseCheckpoint(mode: Mode, stored: unknown, where: string): Checkpoint {
  if (stored === undefined || stored === null) return { mode } as Checkpoint;
  const parsed = checkpointSchema.safeParse(stored);
  if (!parsed.success) {
    throw new FatalError(
      `${where}: the stored checkpoint ${JSON.stringify(stored)} is not a sql source cursor ` +
        `(${parsed.error.issues[0]?.message}); reset it with \`sluice offsets\``,
      { code: 'E_SQL_CHECKPOINT' },
    );
  }
  if (parsed.data.mode !== mode) {
    throw new FatalError(
      `${where}: the stored checkpoint was written in mode "${parsed.data.mode}" but the source is in mode ` +
        `"${mode}"; reset it with \`sluice offsets\` to start this mode from the beginning`,
      { code: 'E_SQL_CHECKPOINT' },
    );
  }
  return parsed.data;
}

export type Row = Record<string, unknown>;

export interface CursorSpec {
  mode: Exclude<Mode, 'query'>;
  timestampColumn?: string;
  incrementingColumn?: string;
  batchSize: number;
  visibilityDelayMs: number;
  /** Names the source in messages. */
  where: string;
}

export interface CursorIo {
  /** Runs a row query and returns exact rows (see type-mapping). */
  fetch(query: RowQuery): Promise<Row[]>;
  /** The database clock, epoch ms. */
  now(): Promise<number>;
}

export interface CursorStep {
  rows: Row[];
  checkpoint: Checkpoint;
  hasMore: boolean;
}

function cursorOf(row: Row, column: string, where: string): CursorValue {
  const v = row[column];
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (v === null || v === undefined) {
    throw new FatalError(`${where}: a row has no value in cursor column "${column}"; the column must be NOT NULL`, {
      code: 'E_SQL_CURSOR',
    });
  }
  throw new FatalError(`${where}: cursor column "${column}" holds ${typeof v} values, not numbers, text or times`, {
    code: 'E_SQL_CURSOR',
  });
}

function integerOf(value: CursorValue, column: string, where: string): bigint {
  // Every row's cursor comes here: a safe integer, or text of up to 15 digits, skips the regular expression.
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  const text = String(value);
  const isNegative = text.charCodeAt(0) === 45; // "-"
  const short = shortDigits(text, isNegative ? 1 : 0);
  if (short !== undefined) return BigInt(isNegative ? -short : short);
  if (!/^-?\d+$/.test(text)) {
    throw new FatalError(
      `${where}: incrementingColumn "${column}" holds ${JSON.stringify(value)}, not an integer; use an integer ` +
        'column, or mode timestamp+incrementing',
      { code: 'E_SQL_CURSOR' },
    );
  }
  return BigInt(text);
}

/** One poll of a table mode. */
export async function step(spec: CursorSpec, checkpoint: Checkpoint, io: CursorIo): Promise<CursorStep> {
  switch (checkpoint.mode) {
    case 'bulk':
      return { rows: await io.fetch({ orderBy: [] }), checkpoint, hasMore: false };
    case 'incrementing':
      return stepIncrementing(spec, checkpoint, io);
    case 'timestamp':
    case 'timestamp+incrementing':
      return stepTimestamp(spec, checkpoint, io);
    default:
      throw new Error(`mode ${checkpoint.mode} has no table cursor`);
  }
}

type IncrementingCheckpoint = Extract<Checkpoint, { mode: 'incrementing' }>;

// Enough observations to close gaps seen at different times on their own timers; more are thinned out.
const MAX_HORIZONS = 32;

async function stepIncrementing(spec: CursorSpec, cp: IncrementingCheckpoint, io: CursorIo): Promise<CursorStep> {
  const column = spec.incrementingColumn!;
  const int = (v: CursorValue) => integerOf(v, column, spec.where);
  const rows = await io.fetch({
    after: cp.incrementing === undefined ? undefined : { incrementing: cp.incrementing },
    orderBy: ['incrementing'],
    limit: spec.batchSize,
  });
  if (rows.length === 0) return { rows, checkpoint: cp, hasMore: false };

  let clock: number | undefined;
  const now = async () => (clock ??= await io.now());
  const horizons = [...(cp.horizons ?? [])];
  // With no delay every gap is stepped over at once (the behaviour of a plain `id > last` poll).
  const isNoDelay = spec.visibilityDelayMs === 0;
  let closedUpTo: bigint | undefined;
  for (const h of horizons) {
    if ((await now()) - h.at < spec.visibilityDelayMs) continue;
    const id = int(h.incrementing);
    if (closedUpTo === undefined || id > closedUpTo) closedUpTo = id;
  }

  let prev = cp.incrementing === undefined ? undefined : int(cp.incrementing);
  let taken = 0;
  for (const row of rows) {
    const id = int(cursorOf(row, column, spec.where));
    const isNext = prev !== undefined && id === prev + 1n;
    const isBelowClosedGap = isNoDelay || (closedUpTo !== undefined && id <= closedUpTo);
    if (!isNext && !isBelowClosedGap) break;
    prev = id;
    taken++;
  }
  // Observations at or below the cursor have nothing left to wait for.
  const pending = horizons.filter((h) => prev === undefined || int(h.incrementing) > prev);
  const isBlocked = taken < rows.length;
  if (isBlocked) {
    // Start timing the gap: every id up to the highest one visible now either commits within the delay or is
    // taken to be rolled back.
    const highest = cursorOf(rows[rows.length - 1], column, spec.where);
    const newest = pending[pending.length - 1];
    if (newest === undefined || int(newest.incrementing) < int(highest))
      pending.push({ incrementing: highest, at: await now() });
    if (pending.length > MAX_HORIZONS) pending.splice(pending.length - 2, 1);
  }
  const emitted = rows.slice(0, taken);
  const last = emitted.length > 0 ? cursorOf(emitted[emitted.length - 1], column, spec.where) : cp.incrementing;
  const next: IncrementingCheckpoint = { mode: 'incrementing' };
  if (last !== undefined) next.incrementing = last;
  if (pending.length > 0) next.horizons = pending;
  return { rows: emitted, checkpoint: next, hasMore: !isBlocked && rows.length === spec.batchSize };
}

type TimestampCheckpoint = Extract<Checkpoint, { mode: 'timestamp' | 'timestamp+incrementing' }>;

async function stepTimestamp(spec: CursorSpec, cp: TimestampCheckpoint, io: CursorIo): Promise<CursorStep> {
  const tsColumn = spec.timestampColumn!;
  const withIncrementing = cp.mode === 'timestamp+incrementing';
  const after: RowQuery['after'] =
    cp.timestamp === undefined
      ? undefined
      : withIncrementing && cp.incrementing !== undefined
        ? { timestamp: cp.timestamp, incrementing: cp.incrementing }
        : { timestamp: cp.timestamp };
  let rows = await io.fetch({
    after,
    visibleBeforeDelayMs: spec.visibilityDelayMs,
    orderBy: withIncrementing ? ['timestamp', 'incrementing'] : ['timestamp'],
    limit: spec.batchSize,
  });
  const isFull = rows.length === spec.batchSize;
  if (isFull && !withIncrementing) {
    // Without a tie-breaker the next poll starts after a timestamp, so the batch must end on a whole group.
    const lastTs = cursorOf(rows[rows.length - 1], tsColumn, spec.where);
    let end = rows.length;
    while (end > 0 && rows[end - 1][tsColumn] === lastTs) end--;
    if (end === 0) rows = await io.fetch({ timestampEquals: lastTs, orderBy: [] });
    else rows = rows.slice(0, end);
  }
  if (rows.length === 0) return { rows, checkpoint: cp, hasMore: false };
  const lastRow = rows[rows.length - 1];
  const next: TimestampCheckpoint = withIncrementing
    ? {
        mode: 'timestamp+incrementing',
        timestamp: cursorOf(lastRow, tsColumn, spec.where),
        incrementing: cursorOf(lastRow, spec.incrementingColumn!, spec.where),
      }
    : { mode: 'timestamp', timestamp: cursorOf(lastRow, tsColumn, spec.where) };
  return { rows, checkpoint: next, hasMore: isFull };
}

/**
 * Query mode: the user's statement selects rows after `:cursor`, ordered by the cursor column. When it is
 * limited (`:limit`) and returns a full batch, a trailing group of equal cursor values is left for the next
 * poll, which could not find its rest again.
 */
export function trimQueryRows(
  rows: Row[],
  options: { cursorColumn: string; limit: number | undefined; where: string },
): { rows: Row[]; isFull: boolean } {
  if (rows.length === 0) return { rows, isFull: false };
  const { cursorColumn, limit, where } = options;
  if (!(cursorColumn in rows[0])) {
    throw new FatalError(
      `${where}: the query's rows have no column "${cursorColumn}" (cursorColumn); select it (columns: ` +
        `${Object.keys(rows[0]).join(', ')})`,
      { code: 'E_SQL_CURSOR' },
    );
  }
  if (limit === undefined || rows.length < limit) return { rows, isFull: false };
  const last = cursorOf(rows[rows.length - 1], cursorColumn, where);
  let end = rows.length;
  while (end > 0 && rows[end - 1][cursorColumn] === last) end--;
  if (end === 0) {
    throw new FatalError(
      `${where}: all ${rows.length} rows of a batch share the cursor value ${JSON.stringify(last)}; raise ` +
        'batchSize above the largest such group, or make the cursor unique',
      { code: 'E_SQL_CURSOR' },
    );
  }
  return { rows: rows.slice(0, end), isFull: true };
}
