import { appendFile, mkdir, mkdtemp, readdir, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fileSource, { createFileSource, fileSourceConfig } from '../../../../connectors/file/source.js';
import type { PollResult, PollSource } from '../../../../core/plugin.js';
import { testPluginContext } from '../../../conformance/plugin-context.js';

let dir: string;
let inbox: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-file-source-'));
  inbox = join(dir, 'inbox');
  await mkdir(inbox);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// stableMs 0: a file counts as finished as soon as it is there, unless a test is about waiting.
const source = (config: Record<string, unknown> = {}, clock?: () => number): PollSource =>
  createFileSource(
    fileSourceConfig.parse({ directory: 'inbox', stableMs: 0, ...config }),
    testPluginContext({ baseDir: dir, component: 'source' }),
    clock,
  );

const values = (r: PollResult) => r.events.map((e) => e.value);

/** Files with distinct modification times, oldest first. */
async function put(files: Record<string, string>) {
  let t = Date.now() / 1000 - 100;
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(inbox, name), text);
    await utimes(join(inbox, name), t, t++);
  }
}

describe('file source', () => {
  it("reads the matching NDJSON files, oldest first, naming each event's file in a header", async () => {
    await put({
      'b.ndjson': '{"key":"car_id_1","value":[43.82,-79.48]}\n',
      'a.ndjson': '"hello"\n42\n',
      'c.txt': 'skip',
    });
    const r = await source({ pattern: '*.ndjson' }).poll(undefined);
    expect(r.events.map((e) => [e.key, e.value, e.headers['sluice-file']])).toEqual([
      ['car_id_1', [43.82, -79.48], 'b.ndjson'],
      [null, 'hello', 'a.ndjson'],
      [null, 42, 'a.ndjson'],
    ]);
    expect(r.hasMore).toBe(false);
  });

  it('is configured through its plugin declaration with paths relative to the pipeline file', async () => {
    await put({ 'a.ndjson': '1\n' });
    const instance = (await fileSource.create(
      fileSource.config.parse({ directory: 'inbox', stableMs: 0 }),
      testPluginContext({ baseDir: dir }),
    )) as PollSource;
    expect(values(await instance.poll(undefined))).toEqual([1]);
    expect(instance.intervalMs).toBe(1000);
  });

  it('neither loses nor re-reads after a restart, and reads only the lines appended since', async () => {
    await put({ 'log.ndjson': '1\n2\n' });
    const first = await source().poll(undefined);
    expect(values(first)).toEqual([1, 2]);
    const restarted = source();
    expect(values(await restarted.poll(first.checkpoint))).toEqual([]);
    await appendFile(join(inbox, 'log.ndjson'), '3\n');
    const appended = await restarted.poll(first.checkpoint);
    expect(values(appended)).toEqual([3]);
    expect(values(await source().poll(appended.checkpoint))).toEqual([]);
  });

  it('waits until a file has stopped changing for stableMs before reading it', async () => {
    await writeFile(join(inbox, 'a.ndjson'), '1\n');
    const { mtimeMs } = await stat(join(inbox, 'a.ndjson'));
    let now = mtimeMs + 100;
    const waiting = source({ stableMs: 1000 }, () => now);
    const early = await waiting.poll(undefined);
    expect(values(early)).toEqual([]);
    now = mtimeMs + 1000;
    expect(values(await waiting.poll(early.checkpoint))).toEqual([1]);
  });

  it('reads a big file over several polls, batchSize lines at a time', async () => {
    await put({ 'big.ndjson': `${Array.from({ length: 10 }, (_, i) => i).join('\n')}\n` });
    const instance = source({ batchSize: 4 });
    const seen: unknown[][] = [];
    let checkpoint: unknown;
    let more = true;
    while (more) {
      const r = await instance.poll(checkpoint);
      seen.push(values(r));
      checkpoint = r.checkpoint;
      more = r.hasMore === true;
    }
    expect(seen).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it('resumes mid-file after a restart at the right byte when lines hold multi-byte characters', async () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => (i % 3 === 0 ? `ä€𝄞 ${i}` : `line ${i}`));
    await put({ 'big.txt': `${lines.join('\n')}\n`, 'small.txt': 'after\n' });
    const seen: unknown[] = [];
    let checkpoint: unknown;
    // A new source every few polls, as after a restart: only the checkpoint carries the position.
    let more = true;
    while (more) {
      const instance = source({ format: 'lines', batchSize: 7_001 });
      for (let i = 0; i < 2 && more; i++) {
        const r = await instance.poll(checkpoint);
        seen.push(...values(r));
        checkpoint = r.checkpoint;
        more = r.hasMore === true;
      }
      await instance.close?.();
    }
    expect(seen).toEqual([...lines, 'after']);
  });

  it('fails the poll on a bad line with onInvalid: fail, and again after a restart', async () => {
    await put({ 'a.ndjson': '1\nnot json\n3\n' });
    const failing = source({ onInvalid: 'fail' });
    await expect(failing.poll(undefined)).rejects.toMatchObject({ kind: 'fatal', code: 'E_NDJSON_LINE' });
    await expect(source({ onInvalid: 'fail' }).poll(undefined)).rejects.toMatchObject({ kind: 'fatal' });
  });

  it('deletes a file only on the poll after its events were stored', async () => {
    await put({ 'a.ndjson': '1\n' });
    const instance = source({ afterRead: 'delete' });
    const read = await instance.poll(undefined);
    expect(values(read)).toEqual([1]);
    expect(await readdir(inbox)).toEqual(['a.ndjson']);
    // The store of that poll failed: the runtime polls again from the old checkpoint, and the file is read again.
    expect(values(await instance.poll(undefined))).toEqual([1]);
    expect(await readdir(inbox)).toEqual(['a.ndjson']);
    const next = await instance.poll(read.checkpoint);
    expect(values(next)).toEqual([]);
    expect(await readdir(inbox)).toEqual([]);
    expect(next.checkpoint).toEqual({ files: {} });
  });

  it('moves a finished file to moveTo, creating the folder', async () => {
    await put({ 'a.ndjson': '1\n' });
    const instance = source({ afterRead: 'move', moveTo: 'done/today' });
    const read = await instance.poll(undefined);
    await instance.poll(read.checkpoint);
    expect(await readdir(inbox)).toEqual([]);
    expect(await readdir(join(dir, 'done/today'))).toEqual(['a.ndjson']);
  });

  it('does not delete a finished file that has grown since: it reads the new lines first', async () => {
    await put({ 'a.ndjson': '1\n' });
    const instance = source({ afterRead: 'delete' });
    const read = await instance.poll(undefined);
    await appendFile(join(inbox, 'a.ndjson'), '2\n');
    const grown = await instance.poll(read.checkpoint);
    expect(values(grown)).toEqual([2]);
    expect(await readdir(inbox)).toEqual(['a.ndjson']);
    await instance.poll(grown.checkpoint);
    expect(await readdir(inbox)).toEqual([]);
  });

  it('reads a file again from the start when it was truncated or replaced', async () => {
    await put({ 'a.ndjson': '1\n2\n3\n' });
    const instance = source();
    const read = await instance.poll(undefined);
    await truncate(join(inbox, 'a.ndjson'));
    await appendFile(join(inbox, 'a.ndjson'), '9\n');
    expect(values(await instance.poll(read.checkpoint))).toEqual([9]);
  });

  it('reads plain lines, and keeps a bad NDJSON line with its file and line number', async () => {
    await put({ 'a.txt': 'one\ntwo' });
    expect(values(await source({ format: 'lines' }).poll(undefined))).toEqual(['one', 'two']);
    await put({ 'b.ndjson': '1\n{oops\n' });
    const r = await source({ pattern: '*.ndjson' }).poll(undefined);
    expect(r.events[1].value).toBe('{oops');
    expect(r.events[1].headers['sluice-error']).toContain(`file "${join(inbox, 'b.ndjson')}" line 2`);
  });

  it("leaves hidden files alone, such as a file sink's temporary files", async () => {
    await put({ '.a1b2.tmp': '1\n', 'a.ndjson': '2\n' });
    expect(values(await source().poll(undefined))).toEqual([2]);
  });

  it('forgets a file that is gone, so one that comes back under its name is read', async () => {
    await put({ 'a.ndjson': '1\n' });
    const instance = source();
    const read = await instance.poll(undefined);
    await rm(join(inbox, 'a.ndjson'));
    const gone = await instance.poll(read.checkpoint);
    expect(gone.checkpoint).toEqual({ files: {} });
    await put({ 'a.ndjson': '1\n' });
    expect(values(await instance.poll(gone.checkpoint))).toEqual([1]);
  });

  it('stops with a clear message when the folder does not exist', async () => {
    await expect(source({ directory: 'nowhere' }).poll(undefined)).rejects.toMatchObject({
      kind: 'fatal',
      code: 'E_FILE_NOT_FOUND',
      message: expect.stringContaining(join(dir, 'nowhere')),
    });
  });

  it('refuses a config that cannot work, saying why', () => {
    const issues = (c: Record<string, unknown>) =>
      fileSourceConfig.safeParse({ directory: 'in', ...c }).error?.issues.map((i) => i.message) ?? [];
    expect(issues({ afterRead: 'move' })).toEqual([expect.stringContaining('needs moveTo')]);
    expect(issues({ moveTo: 'done' })).toEqual([expect.stringContaining('only with afterRead: move')]);
    expect(issues({ pattern: 'sub/*.ndjson' })).toEqual([expect.stringContaining('`directory`')]);
  });
});
