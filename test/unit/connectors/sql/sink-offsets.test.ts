import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparePositions, formatPosition, parseEventPosition } from '../../../../connectors/sql/sink-offsets.js';

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
