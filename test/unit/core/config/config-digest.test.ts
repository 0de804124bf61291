import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configDigest } from '../../../../core/config/config-digest.js';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-digest-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('the version of pipeline files', () => {
  it('is the same for the same files in different folders, as on two hosts', () => {
    const files = { 'a.yaml': 'pipelines: {}\n', 'b.yaml': 'topics: {}\n' };
    expect(configDigest([folder(files)])).toBe(configDigest([folder(files)]));
  });

  it('changes when a file changes, is added, or is renamed', () => {
    const base = { 'a.yaml': 'pipelines: {}\n' };
    const digest = configDigest([folder(base)]);
    expect(configDigest([folder({ 'a.yaml': 'pipelines: { }\n' })])).not.toBe(digest);
    expect(configDigest([folder({ ...base, 'b.yaml': '' })])).not.toBe(digest);
    expect(configDigest([folder({ 'c.yaml': 'pipelines: {}\n' })])).not.toBe(digest);
  });

  it('ignores files a folder does not load', () => {
    const dir = folder({ 'a.yaml': 'pipelines: {}\n' });
    const digest = configDigest([dir]);
    writeFileSync(join(dir, 'notes.txt'), 'not a pipeline');
    expect(configDigest([dir])).toBe(digest);
  });
});
