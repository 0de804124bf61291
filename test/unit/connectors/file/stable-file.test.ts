import { describe, expect, it } from 'vitest';
import { StableFiles } from '../../../../connectors/file/stable-file.js';

describe('stable files', () => {
  it('takes a file untouched for stableMs as finished', () => {
    const stable = new StableFiles(1000);
    expect(stable.isStable({ name: 'a', size: 10, mtimeMs: 0 }, 1000)).toBe(true);
    expect(stable.isStable({ name: 'b', size: 10, mtimeMs: 500 }, 1000)).toBe(false);
  });

  it('takes a file seen unchanged across polls for stableMs as finished, whatever its time says', () => {
    const stable = new StableFiles(1000);
    const skewed = { name: 'a', size: 10, mtimeMs: 1_000_000 }; // a server clock ahead of ours
    expect(stable.isStable(skewed, 0)).toBe(false);
    expect(stable.isStable(skewed, 500)).toBe(false);
    expect(stable.isStable(skewed, 1000)).toBe(true);
  });

  it('starts waiting again when the file changes', () => {
    const stable = new StableFiles(1000);
    expect(stable.isStable({ name: 'a', size: 10, mtimeMs: 5000 }, 0)).toBe(false);
    expect(stable.isStable({ name: 'a', size: 20, mtimeMs: 5000 }, 900)).toBe(false);
    expect(stable.isStable({ name: 'a', size: 20, mtimeMs: 5000 }, 1800)).toBe(false);
    expect(stable.isStable({ name: 'a', size: 20, mtimeMs: 5000 }, 1900)).toBe(true);
  });
});
