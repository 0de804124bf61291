import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PendingList } from '../../../../core/storage/memory-pending.js';

const idAt = (n: number) => `0-1700000000000-${n}`;
const seqOf = (id: string) => Number(id.slice(id.lastIndexOf('-') + 1));

type Op =
  | { kind: 'claim'; count: number; consumer: string }
  | { kind: 'ackRun'; run: number; runs: number }
  | { kind: 'ack'; picks: number[] }
  | { kind: 'forget'; below: number };

const ops = fc.array(
  fc.oneof(
    fc.record({
      kind: fc.constant('claim' as const),
      count: fc.integer({ min: 0, max: 6 }),
      consumer: fc.constantFrom('a', 'b'),
    }),
    fc.record({ kind: fc.constant('ackRun' as const), run: fc.nat(8), runs: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant('ack' as const), picks: fc.array(fc.nat(40), { maxLength: 6 }) }),
    fc.record({ kind: fc.constant('forget' as const), below: fc.nat(40) }),
  ),
  { maxLength: 40 },
);

describe('the memory storage pending list', () => {
  it('behaves as a map of id → consumer in id order, whatever is claimed, acknowledged or forgotten (property)', () => {
    fc.assert(
      fc.property(ops, (sequence: Op[]) => {
        const list = new PendingList();
        const model = new Map<string, string>();
        const runs: string[][] = [];
        let next = 0;
        for (const op of sequence) {
          if (op.kind === 'claim') {
            const ids = Array.from({ length: op.count }, () => idAt(next++));
            list.claim(ids, op.consumer);
            for (const id of ids) model.set(id, op.consumer);
            runs.push(ids);
          } else if (op.kind === 'ackRun' || op.kind === 'ack') {
            // Whole runs as a delivered batch gives them (one, or a claim and its top-ups), or any ids at all: pending, acknowledged, never claimed,
            // repeated.
            const ids = op.kind === 'ackRun' ? runs.slice(op.run, op.run + op.runs).flat() : op.picks.map(idAt);
            const unknown = ids.filter((id) => !model.delete(id));
            expect(list.acknowledge(ids)).toEqual(unknown);
          } else {
            list.forgetWhile((id) => seqOf(id) < op.below);
            for (const id of [...model.keys()]) {
              if (seqOf(id) >= op.below) break;
              model.delete(id);
            }
          }
          expect([...list.entries()]).toEqual([...model.entries()]);
          expect(list.size).toBe(model.size);
          expect(list.first()).toBe(model.keys().next().value);
          for (let n = 0; n < next + 2; n++) expect(list.has(idAt(n))).toBe(model.has(idAt(n)));
        }
      }),
      { numRuns: 300 },
    );
  });
});
