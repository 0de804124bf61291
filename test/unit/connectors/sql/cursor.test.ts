import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Checkpoint,
  type CursorSpec,
  parseCheckpoint,
  type Row,
  step,
  trimQueryRows,
} from '../../../../connectors/sql/cursor.js';
import type { RowQuery } from '../../../../connectors/sql/select-query.js';

// A table in memory with a clock: rows get their id and timestamp when their transaction starts and become
// visible when it commits (or never, when it rolls back). The fake answers the cursor's queries the way a
// database would, so the cursor logic can be run against many random interleavings.
interface SimRow {
  id: number;
  ts: number;
  committedAt: number; // Infinity: rolled back
}

class SimTable {
  now = 0;
  constructor(readonly rows: SimRow[]) {}

  io = {
    fetch: async (q: RowQuery): Promise<Row[]> => {
      let visible = this.rows.filter((r) => r.committedAt <= this.now);
      const after = q.after;
      if (after?.timestamp !== undefined && after.incrementing !== undefined) {
        const [t, i] = [Number(after.timestamp), Number(after.incrementing)];
        visible = visible.filter((r) => r.ts > t || (r.ts === t && r.id > i));
      } else if (after?.timestamp !== undefined) visible = visible.filter((r) => r.ts > Number(after.timestamp));
      else if (after?.incrementing !== undefined) visible = visible.filter((r) => r.id > Number(after.incrementing));
      if (q.timestampEquals !== undefined) visible = visible.filter((r) => r.ts === q.timestampEquals);
      if (q.visibleBeforeDelayMs !== undefined)
        visible = visible.filter((r) => r.ts < this.now - q.visibleBeforeDelayMs!);
      const sorted = [...visible].sort((a, b) => {
        for (const o of q.orderBy) {
          const d = o === 'timestamp' ? a.ts - b.ts : a.id - b.id;
          if (d !== 0) return d;
        }
        return 0;
      });
      const limited = q.limit === undefined ? sorted : sorted.slice(0, q.limit);
      return limited.map((r) => ({ id: r.id, ts: r.ts }));
    },
    now: async () => this.now,
  };
}

const DELAY = 100;

/** Transactions: start time offset, rows in it, how late it commits (< DELAY), whether it rolls back. */
const scheduleArb = fc.array(
  fc.record({
    gap: fc.integer({ min: 0, max: 15 }),
    rows: fc.integer({ min: 1, max: 6 }),
    lateBy: fc.integer({ min: 0, max: DELAY - 1 }),
    rolledBack: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
  }),
  { minLength: 1, maxLength: 60 },
);

interface Tx {
  gap: number;
  rows: number;
  lateBy: number;
  rolledBack: boolean;
}

function buildRows(schedule: Tx[]): SimRow[] {
  const rows: SimRow[] = [];
  let time = 0;
  let id = 0;
  for (const tx of schedule) {
    time += tx.gap;
    // Timestamps at a coarse granularity, so many rows share one.
    const ts = Math.floor(time / 5) * 5;
    // The contract: a transaction commits less than the delay after the timestamp it wrote.
    const committedAt = tx.rolledBack ? Number.POSITIVE_INFINITY : time + Math.min(tx.lateBy, DELAY - 1 - (time - ts));
    for (let i = 0; i < tx.rows; i++) rows.push({ id: ++id, ts, committedAt });
  }
  return rows;
}

async function runToEnd(spec: CursorSpec, table: SimTable, pollEvery: number[]): Promise<number[]> {
  const seen: number[] = [];
  let checkpoint: Checkpoint = parseCheckpoint(spec.mode, undefined, 'test');
  const committed = table.rows.filter((r) => Number.isFinite(r.committedAt)).length;
  const lastCommit = Math.max(0, ...table.rows.map((r) => (Number.isFinite(r.committedAt) ? r.committedAt : 0)));
  let i = 0;
  // Poll until caught up, then some more: a duplicate would show up as an extra id.
  let caughtUpAt: number | undefined;
  while (caughtUpAt === undefined || table.now < caughtUpAt + 3 * DELAY) {
    if (table.now > lastCommit + 100 * DELAY) break;
    if (caughtUpAt === undefined && new Set(seen).size >= committed && table.now > lastCommit) caughtUpAt = table.now;
    const result = await step(spec, checkpoint, table.io);
    seen.push(...result.rows.map((r) => Number(r.id)));
    checkpoint = parseCheckpoint(spec.mode, JSON.parse(JSON.stringify(result.checkpoint)), 'test');
    if (!result.hasMore) table.now += pollEvery[i++ % pollEvery.length];
  }
  return seen;
}

const specs: CursorSpec[] = [
  {
    mode: 'timestamp+incrementing',
    timestampColumn: 'ts',
    incrementingColumn: 'id',
    batchSize: 4,
    visibilityDelayMs: DELAY,
    where: 't',
  },
  { mode: 'timestamp', timestampColumn: 'ts', batchSize: 4, visibilityDelayMs: DELAY, where: 't' },
  { mode: 'incrementing', incrementingColumn: 'id', batchSize: 4, visibilityDelayMs: DELAY, where: 't' },
];

describe('sql source cursor', () => {
  it.each(specs.map((s) => [s.mode, s]))(
    '%s reads every committed row exactly once whatever the interleaving of late commits, rollbacks and polls',
    async (_mode, spec) => {
      await fc.assert(
        fc.asyncProperty(
          scheduleArb,
          fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
          async (schedule, polls) => {
            const rows = buildRows(schedule);
            const seen = await runToEnd(spec, new SimTable(rows), polls);
            const committed = rows.filter((r) => Number.isFinite(r.committedAt)).map((r) => r.id);
            expect([...seen].sort((a, b) => a - b)).toEqual(committed);
          },
        ),
        { numRuns: 300 },
      );
    },
  );

  it('a plain `id > last` poll (no delay) loses a row that commits late: the failure the delay prevents', async () => {
    const rows: SimRow[] = [
      { id: 1, ts: 0, committedAt: 50 }, // late
      { id: 2, ts: 0, committedAt: 1 },
    ];
    const table = new SimTable(rows);
    const spec = { ...specs[2], visibilityDelayMs: 0 };
    const seen = await runToEnd(spec, table, [10]);
    expect(seen).toEqual([2]);
    const safe = await runToEnd(specs[2], new SimTable(rows.map((r) => ({ ...r }))), [10]);
    expect(safe).toEqual([1, 2]);
  });

  it('timestamp mode ends a full batch on a whole group of equal timestamps, fetching an oversized group at once', async () => {
    const rows: SimRow[] = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, ts: i < 2 ? 1 : 2, committedAt: 0 }));
    const table = new SimTable(rows);
    table.now = 1000;
    const spec = specs[1];
    const first = await step(spec, parseCheckpoint('timestamp', undefined, 't'), table.io);
    expect(first.rows.map((r) => r.id)).toEqual([1, 2]);
    expect(first.hasMore).toBe(true);
    const second = await step(spec, first.checkpoint, table.io);
    expect(second.rows).toHaveLength(8);
    expect(second.checkpoint).toEqual({ mode: 'timestamp', timestamp: 2 });
  });

  it('incrementing mode steps over a rolled-back id once the gap has been open for the delay', async () => {
    const table = new SimTable([
      { id: 1, ts: 0, committedAt: 0 },
      { id: 2, ts: 0, committedAt: Number.POSITIVE_INFINITY },
      { id: 3, ts: 0, committedAt: 0 },
    ]);
    const spec = specs[2];
    let cp = parseCheckpoint('incrementing', { mode: 'incrementing', incrementing: 0 }, 't');
    let r = await step(spec, cp, table.io);
    expect(r.rows.map((x) => x.id)).toEqual([1]);
    expect(r.checkpoint).toMatchObject({ horizons: [{ incrementing: 3, at: 0 }] });
    cp = r.checkpoint;
    table.now = DELAY - 1;
    r = await step(spec, cp, table.io);
    expect(r.rows).toEqual([]);
    table.now = DELAY;
    r = await step(spec, r.checkpoint, table.io);
    expect(r.rows.map((x) => x.id)).toEqual([3]);
    expect(r.checkpoint).toEqual({ mode: 'incrementing', incrementing: 3 });
  });

  it('reads ids given as text exactly, short or long, as PostgreSQL gives bigint columns', async () => {
    // 15 digits are read as numbers and longer ones as bigints: consecutive ids across that line are no gap, and
    // the gap before an id past 2^53 is still one.
    const ids = ['999999999999998', '999999999999999', '1000000000000000', '9007199254740993'];
    const io = { fetch: async () => ids.map((id) => ({ id })), now: async () => 0 };
    const r = await step(specs[2], { mode: 'incrementing', incrementing: '999999999999997' }, io);
    // The last id follows a gap of billions that is not yet old enough to step over: the rows before it are taken.
    expect(r.rows.map((x) => x.id)).toEqual(ids.slice(0, 3));
    expect(r.checkpoint).toMatchObject({ mode: 'incrementing', incrementing: '1000000000000000' });
  });

  it('refuses a non-integer incrementing column with a fatal error that names it', async () => {
    const io = { fetch: async () => [{ id: 'abc' }], now: async () => 0 };
    await expect(step(specs[2], { mode: 'incrementing', incrementing: 1 }, io)).rejects.toMatchObject({
      kind: 'fatal',
      message: expect.stringContaining('"id"'),
    });
  });

  it('refuses a checkpoint that is not a cursor, or belongs to another mode', () => {
    expect(() => parseCheckpoint('timestamp', { mode: 'timestamp', timestamp: { x: 1 } }, 'src')).toThrow(
      /sluice offsets/,
    );
    expect(() => parseCheckpoint('timestamp', { mode: 'bulk' }, 'src')).toThrow(/mode "bulk"/);
    expect(parseCheckpoint('bulk', undefined, 'src')).toEqual({ mode: 'bulk' });
  });
});

describe('sql query mode batches', () => {
  it('leaves a trailing group of equal cursor values of a full batch for the next poll', () => {
    const rows = [{ c: 1 }, { c: 2 }, { c: 3 }, { c: 3 }];
    expect(trimQueryRows(rows, { cursorColumn: 'c', limit: 4, where: 'q' })).toEqual({
      rows: rows.slice(0, 2),
      isFull: true,
    });
    expect(trimQueryRows(rows, { cursorColumn: 'c', limit: 10, where: 'q' })).toEqual({ rows, isFull: false });
    expect(trimQueryRows(rows, { cursorColumn: 'c', limit: undefined, where: 'q' })).toEqual({ rows, isFull: false });
  });

  it('says to raise batchSize when a whole batch shares one cursor value, and names a missing cursor column', () => {
    expect(() => trimQueryRows([{ c: 1 }, { c: 1 }], { cursorColumn: 'c', limit: 2, where: 'q' })).toThrow(/batchSize/);
    expect(() => trimQueryRows([{ x: 1 }], { cursorColumn: 'c', limit: 2, where: 'q' })).toThrow(/no column "c"/);
  });
});
