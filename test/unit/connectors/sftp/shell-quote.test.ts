import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFindListing } from '../../../../connectors/sftp/scp-file-system.js';
import { shellQuote } from '../../../../connectors/sftp/shell-quote.js';

describe('shell quoting of remote names', () => {
  it('gives any name back unchanged through a real shell, running nothing', () => {
    // The characters a shell gives meaning to, plus plain and non-ASCII letters.
    const unit = fc.constantFrom(...'\'"$()`;\n\t \\*?[]{}|&<>!#~-=aZ0é中'.split(''));
    const names = fc.string({ unit, minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(fc.array(names, { minLength: 1, maxLength: 20 }), (batch) => {
        const script = batch.map((n) => `printf '%s\\0' ${shellQuote(n)}`).join('; ');
        const out = execFileSync('sh', ['-c', script]).toString('utf8');
        expect(out.split('\0').slice(0, -1)).toEqual(batch);
      }),
      { numRuns: 25 },
    );
  });
});

describe('find listings', () => {
  it('parses types, sizes, sub-second times and names with newlines', () => {
    const out = Buffer.from(
      'f 12 1700000000.5000000000 a b.csv\0d 4096 1700000001.0000000000 sub\0f 3 1700000002.25 new\nline\0',
    );
    expect(parseFindListing(out, '/in')).toEqual([
      { path: '/in/a b.csv', name: 'a b.csv', type: 'file', size: 12, mtimeMs: 1_700_000_000_500 },
      { path: '/in/sub', name: 'sub', type: 'directory', size: 4096, mtimeMs: 1_700_000_001_000 },
      { path: '/in/new\nline', name: 'new\nline', type: 'file', size: 3, mtimeMs: 1_700_000_002_250 },
    ]);
  });
});
