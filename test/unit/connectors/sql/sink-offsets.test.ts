import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alreadyWritten,
  batchSpans,
  comparePositions,
  type EventPosition,
  formatPosition,
  mergeRange,
  parseEventPosition,
  parseSortablePosition,
  type Range,
  sortablePosition,
  WrittenRanges,
} from '../../../../connectors/sql/sink-offsets.js';

describe('sql sink event positions', () => {
  it('parses <partition>-<ms>-<seq> and nothing else', () => {
    expect(parseEventPosition('3-1700000000000-7')).toEqual({ partition: 3, ms: 1700000000000n, seq: 7n });
    for (const bad of [undefined, '', '1-2', 'a-1-2', '1-2-3-4', '-1-2-3'])
      expect(parseEventPosition(bad)).toBeUndefined();
  });

  it('orders positions numerically, where a string compare would not', () => {
    const a = parseEventPosition('0-999-0')!;
    const b = parseEventPosition('0-1000-0')!;
    expect('0-999-0' > '0-1000-0').toBe(true);
    expect(comparePositions(a, b)).toBe(-1);
    expect(comparePositions(parseEventPosition('0-5-10')!, parseEventPosition('0-5-9')!)).toBe(1);
  });

  it('round-trips and compares like the numbers it holds', () => {
    fc.assert(
      fc.property(
        fc.nat(64),
        fc.bigInt({ min: 0n, max: 2n ** 60n }),
        fc.nat(),
        fc.bigInt({ min: 0n, max: 2n ** 60n }),
        fc.nat(),
        (p, m1, s1, m2, s2) => {
          const a = parseEventPosition(`${p}-${m1}-${s1}`)!;
          const b = parseEventPosition(`${p}-${m2}-${s2}`)!;
          expect(formatPosition(a)).toBe(`${p}-${m1}-${s1}`);
          const expected = m1 !== m2 ? (m1 < m2 ? -1 : 1) : Math.sign(s1 - s2);
          expect(comparePositions(a, b)).toBe(expected);
          // The stored form sorts as text like the positions, and reads back.
          const [ta, tb] = [sortablePosition(a), sortablePosition(b)];
          expect(ta < tb ? -1 : ta > tb ? 1 : 0).toBe(expected);
          expect(parseSortablePosition(ta, p)).toEqual(a);
        },
      ),
    );
  });
});

/** The ranges table of one partition as the sink keeps it: what the transaction reads, then records. */
class RangesTable {
  ranges: Range[] = [];

  deliver(positions: EventPosition[]): Set<number> {
    const spans = batchSpans(positions);
    const written = new Map([[0, new WrittenRanges(this.ranges)]]);
    const skipped = alreadyWritten(positions, written);
    const [first, last] = spans.get(0)!;
    if (!written.get(0)!.covers(first, last)) {
      const { merged, replaced } = mergeRange(first, last, this.ranges);
      this.ranges = [...this.ranges.filter((r) => !replaced.includes(r)), merged];
    }
    return skipped;
  }
}

describe('sql sink written ranges', () => {
  const pos = (n: number, seq = 0) => parseEventPosition(`0-${n}-${seq}`)!;
  const shown = (ranges: readonly Range[]) =>
    ranges.map(([a, b]) => [formatPosition(a), formatPosition(b)]).sort((x, y) => x[0].localeCompare(y[0]));

  it('merges ranges that overlap or touch (the next id of the same millisecond), keeps apart the others', () => {
    const table = new RangesTable();
    table.deliver([pos(10), pos(20)]);
    table.deliver([pos(30), pos(40)]);
    table.deliver([pos(15), pos(32)]);
    table.deliver([pos(50), pos(60, 4)]);
    table.deliver([pos(60, 5), pos(70)]);
    table.deliver([pos(80, 1), pos(90)]);
    table.deliver([pos(75), pos(80)]);
    expect(shown(table.ranges)).toEqual([
      ['0-10-0', '0-40-0'],
      ['0-50-0', '0-70-0'],
      ['0-75-0', '0-90-0'],
    ]);
    const ranges = new WrittenRanges(table.ranges);
    expect(ranges.contains(pos(45))).toBe(false);
    expect(ranges.contains(pos(40))).toBe(true);
    expect(ranges.covers(pos(12), pos(39))).toBe(true);
    expect(ranges.covers(pos(12), pos(55))).toBe(false);
  });

  it('reads the ranges earlier versions kept as JSON', () => {
    const legacy = WrittenRanges.parse('[["0-10-0","0-20-0"],["0-30-0","0-40-0"]]');
    expect(legacy.contains(pos(15))).toBe(true);
    expect(legacy.contains(pos(25))).toBe(false);
    expect(WrittenRanges.parse('not json').contains(pos(1))).toBe(false);
  });

  it('skips a batch redelivered after any number of later batches (no window)', () => {
    const table = new RangesTable();
    for (let i = 0; i < 1_000; i++) table.deliver([pos(i * 10), pos(i * 10 + 5)]);
    expect(table.deliver([pos(0), pos(5)])).toEqual(new Set([0, 1]));
    expect(table.deliver([pos(5_000), pos(5_005)])).toEqual(new Set([0, 1]));
    expect(table.ranges).toHaveLength(1_000);
  });

  // Batches of a partition are contiguous runs of events; the runtime may deliver them in any order, retry a
  // failed one after later ones, and deliver one twice. Every event must be written exactly once.
  it('writes every event exactly once whatever the order of deliveries and redeliveries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 120 }),
        fc.boolean(),
        (sizes, picks, isDense) => {
          const batches: number[][] = [];
          let next = 1;
          for (const size of sizes)
            batches.push(Array.from({ length: size }, () => (next += isDense ? 1 : 1 + (next % 3))));
          // Each batch is delivered once, some twice; the order is shuffled by `picks`.
          const deliveries = [...batches, ...batches.filter((_, i) => i % 3 === 0)];
          const order: number[][] = [];
          const pool = [...deliveries];
          for (const pick of picks) {
            if (pool.length === 0) break;
            order.push(pool.splice(pick % pool.length, 1)[0]);
          }
          order.push(...pool);
          // Dense ids share one millisecond, so that neighbouring batches touch and merge.
          const at = (id: number) => (isDense ? pos(7, id) : pos(id));
          const table = new RangesTable();
          const writes = new Map<number, number>();
          for (const batch of order) {
            const skipped = table.deliver(batch.map(at));
            for (const [i, id] of batch.entries()) if (!skipped.has(i)) writes.set(id, (writes.get(id) ?? 0) + 1);
          }
          expect([...writes.keys()].sort((a, b) => a - b)).toEqual(batches.flat());
          expect([...writes.values()].every((n) => n === 1)).toBe(true);
        },
      ),
    );
  });
});
