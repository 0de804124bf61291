import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonDepth } from '../../../../connectors/http/json-depth.js';

/** Depth by walking the parsed value: what the scan of the text must agree with. */
function parsedDepth(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(parsedDepth));
  if (value !== null && typeof value === 'object') return 1 + Math.max(0, ...Object.values(value).map(parsedDepth));
  return 0;
}

describe('jsonDepth', () => {
  it('counts nesting, not brackets inside strings, escaped quotes or escaped backslashes', () => {
    expect(jsonDepth('1', 64)).toBe(0);
    expect(jsonDepth('[[{"a":[1]}]]', 64)).toBe(4);
    expect(jsonDepth('{"a":"[[[{{{"}', 64)).toBe(1);
    expect(jsonDepth('{"a":"say \\"[[[\\" ok"}', 64)).toBe(1);
    expect(jsonDepth('{"a":"ends in a backslash \\\\","b":[[1]]}', 64)).toBe(3);
    expect(jsonDepth('["unterminated [[[', 64)).toBe(1);
  });

  it('stops once the text is deeper than the limit', () => {
    expect(jsonDepth(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, 64)).toBe(65);
  });

  it('agrees with the depth of the parsed value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        const text = JSON.stringify(value);
        expect(jsonDepth(text, 64)).toBe(parsedDepth(value));
      }),
      { numRuns: 500 },
    );
  });
});
