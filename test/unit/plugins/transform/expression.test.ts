import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileExpression, isTruthy } from '../../../../plugins/transform/expression.js';
import { deepFreeze } from '../../../conformance/deep-freeze.js';
import { event } from '../run-processor.js';

// Values whose objects use the keys the paths below ask for, so that lookups find something. No `__proto__` key:
// JSONata's full evaluation drops an own `__proto__` property from the objects it returns, where a plain path
// hands the stored value over as it is (fast-check likes to try that key, so a run would fail by chance).
const hasProtoKey = (v: unknown): boolean => JSON.stringify(v)?.includes('"__proto__"') ?? false;
const nested = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 1 }).filter((v) => !hasProtoKey(v)),
    fc.uint8Array({ maxLength: 4 }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'length'), tie('value'), { maxKeys: 3, noNullPrototype: true }),
  ),
})).value;

describe('expressions', () => {
  it('read plain paths exactly as a full JSONata evaluation does', async () => {
    const paths = ['key', 'value', 'value.a', 'value.a.b', 'value.length', 'headers.h', 'value.b.a.b'];
    const fast = paths.map((p) => compileExpression(p, 'test'));
    // Parentheses make a block, which always takes the full evaluation.
    const full = paths.map((p) => compileExpression(`(${p})`, 'test'));
    await fc.assert(
      fc.asyncProperty(nested, fc.option(fc.string(), { nil: null }), async (value, key) => {
        const e = event(value, { key, headers: { h: 'v' } });
        deepFreeze(e);
        for (let i = 0; i < paths.length; i++) {
          expect(await fast[i].evaluate(e), paths[i]).toEqual(await full[i].evaluate(e));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('follow JSONata truthiness', () => {
    expect([true, 1, 'x', [0, 1], { a: 1 }, new Uint8Array(1)].map(isTruthy)).toEqual(Array(6).fill(true));
    expect([false, 0, '', [], [0, ''], {}, null, undefined, new Uint8Array(0)].map(isTruthy)).toEqual(
      Array(9).fill(false),
    );
  });
});
