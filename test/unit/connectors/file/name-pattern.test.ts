import { describe, expect, it } from 'vitest';
import { namePattern, patternProblem } from '../../../../connectors/file/name-pattern.js';

describe('file name patterns', () => {
  it('matches *, ? and {a,b} like a shell', () => {
    const ndjson = namePattern('*.{ndjson,jsonl}');
    expect(['a.ndjson', 'b.jsonl', '.ndjson'].map(ndjson)).toEqual([true, true, false]);
    expect(ndjson('a.json')).toBe(false);
    const day = namePattern('orders-2024-0?-*.csv');
    expect(day('orders-2024-07-01.csv')).toBe(true);
    expect(day('orders-2024-10-01.csv')).toBe(false);
  });

  it('takes other characters literally', () => {
    expect(namePattern('a+b(1).txt')('a+b(1).txt')).toBe(true);
    expect(namePattern('a.txt')('abtxt')).toBe(false);
  });

  it('leaves hidden and temporary files alone unless the pattern starts with a dot', () => {
    expect(namePattern('*')('.abc.tmp')).toBe(false);
    expect(namePattern('.*')('.abc.tmp')).toBe(true);
  });

  it('explains patterns it cannot use', () => {
    expect(patternProblem('in/*.ndjson')).toContain('`directory`');
    expect(patternProblem('{a,{b}}')).toContain('nested');
    expect(patternProblem('{a')).toContain('balanced');
    expect(patternProblem('*.ndjson')).toBeUndefined();
  });
});
