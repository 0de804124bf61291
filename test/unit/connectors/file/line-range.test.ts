import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLineRange } from '../../../../connectors/file/line-range.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-line-range-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('reading lines from a byte range', () => {
  it('stops after maxLines with the offset just after the last line, counting bytes not characters', async () => {
    const path = join(dir, 'a.txt');
    await writeFile(path, 'ä1\nö2\nü3\n');
    const first = await readLineRange(path, 0, 12, 2);
    expect(first).toEqual({ lines: ['ä1', 'ö2'], end: 8 });
    const rest = await readLineRange(path, first.end, 12, 10);
    expect(rest).toEqual({ lines: ['ü3'], end: 12 });
  });

  it('reads a last line without a line break', async () => {
    const path = join(dir, 'b.txt');
    await writeFile(path, 'one\ntwo');
    expect(await readLineRange(path, 0, 7, 10)).toEqual({ lines: ['one', 'two'], end: 7 });
  });

  it('reads lines longer than its read buffer', async () => {
    const path = join(dir, 'c.txt');
    const long = 'x'.repeat(600_000);
    await writeFile(path, `${long}\nshort\n`);
    const range = await readLineRange(path, 0, long.length + 7, 10);
    expect(range.lines.map((l) => l.length)).toEqual([600_000, 5]);
    expect(range.end).toBe(long.length + 7);
  });

  it('reads only up to the size it was given, even if the file has grown since', async () => {
    const path = join(dir, 'd.txt');
    await writeFile(path, 'one\ntwo\nthree\n');
    expect(await readLineRange(path, 0, 8, 10)).toEqual({ lines: ['one', 'two'], end: 8 });
  });
});
