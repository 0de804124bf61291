import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alreadyWritten,
  comparePositions,
  formatPosition,
  MAX_RANGES,
  parseEventPosition,
  recordBatch,
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
        },
      ),
    );
  });
});

describe('sql sink written ranges', () => {
  const pos = (n: number) => parseEventPosition(`0-${n}-0`)!;

  it('merges overlapping ranges, keeps apart ranges that do not touch, and survives its JSON form', () => {
    const r = WrittenRanges.empty();
    r.add(pos(10), pos(20));
    r.add(pos(30), pos(40));
    r.add(pos(15), pos(32));
    r.add(pos(50), pos(60));
    expect(JSON.parse(r.toJSON())).toEqual([
      ['0-10-0', '0-40-0'],
      ['0-50-0', '0-60-0'],
    ]);
    const again = WrittenRanges.parse(r.toJSON());
    expect(again.contains(pos(45))).toBe(false);
    expect(again.contains(pos(40))).toBe(true);
    expect(again.covers(pos(12), pos(39))).toBe(true);
    expect(again.covers(pos(12), pos(55))).toBe(false);
    expect(formatPosition(again.highest()!)).toBe('0-60-0');
    expect(WrittenRanges.parse('not json').contains(pos(1))).toBe(false);
  });

  it('keeps the most recent ranges only', () => {
    const r = WrittenRanges.empty();
    for (let i = 0; i < MAX_RANGES + 10; i++) r.add(pos(i * 10), pos(i * 10 + 5));
    expect(r.contains(pos(0))).toBe(false);
    expect(r.contains(pos((MAX_RANGES + 9) * 10))).toBe(true);
  });

  // Batches of a partition are contiguous runs of events; the runtime may deliver them in any order, retry a
  // failed one after later ones, and deliver one twice. Every event must be written exactly once.
  it('writes every event exactly once whatever the order of deliveries and redeliveries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 120 }),
        (sizes, picks) => {
          const batches: number[][] = [];
          let next = 1;
          for (const size of sizes) batches.push(Array.from({ length: size }, () => (next += 1 + (next % 3))));
          // Each batch is delivered once, some twice; the order is shuffled by `picks`.
          const deliveries = [...batches, ...batches.filter((_, i) => i % 3 === 0)];
          const order: number[][] = [];
          const pool = [...deliveries];
          for (const pick of picks) {
            if (pool.length === 0) break;
            order.push(pool.splice(pick % pool.length, 1)[0]);
          }
          order.push(...pool);
          // What the sink does in each batch's transaction.
          const written = new Map([[0, WrittenRanges.empty()]]);
          const writes = new Map<number, number>();
          for (const batch of order) {
            const positions = batch.map(pos);
            const skipped = alreadyWritten(positions, written);
            for (const [i, id] of batch.entries()) if (!skipped.has(i)) writes.set(id, (writes.get(id) ?? 0) + 1);
            recordBatch(positions, written);
          }
          expect([...writes.keys()].sort((a, b) => a - b)).toEqual(batches.flat());
          expect([...writes.values()].every((n) => n === 1)).toBe(true);
        },
      ),
    );
  });
});
