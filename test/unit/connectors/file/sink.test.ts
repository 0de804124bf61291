import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fileSink, { createFileSink, fileSinkConfig } from '../../../../connectors/file/sink.js';
import type { SluiceEvent } from '../../../../core/event.js';
import { testPluginContext } from '../../../conformance/plugin-context.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-file-sink-'));
});
afterEach(async () => {
  await chmod(dir, 0o700).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

const sink = (config: Record<string, unknown>) =>
  createFileSink(fileSinkConfig.parse(config), testPluginContext({ baseDir: dir, component: 'sinks[0]' }));

const event = (value: unknown, id?: string): SluiceEvent => ({
  key: 'k',
  value,
  ts: 1_700_000_000_000,
  headers: {},
  ...(id ? { id } : {}),
});

describe('file sink', () => {
  it('writes each batch to one file named from its first and last event ids', async () => {
    const instance = await sink({ directory: 'out' });
    await instance.write([event(1, '0-1700000000000-0'), event(2, '0-1700000000001-0')]);
    expect(await readdir(join(dir, 'out'))).toEqual(['events_0-1700000000000-0_0-1700000000001-0.ndjson']);
    const text = await readFile(join(dir, 'out', 'events_0-1700000000000-0_0-1700000000001-0.ndjson'), 'utf8');
    expect(text).toBe(
      '{"key":"k","value":1,"ts":1700000000000,"id":"0-1700000000000-0"}\n' +
        '{"key":"k","value":2,"ts":1700000000000,"id":"0-1700000000001-0"}\n',
    );
  });

  it('overwrites its own file when a batch is delivered again, leaving no temporary files', async () => {
    const instance = await sink({ directory: 'out' });
    const batch = [event(1, '3-5-0'), event(2, '3-6-0')];
    await instance.write(batch);
    await instance.write(batch);
    const again = await sink({ directory: 'out' });
    await again.write(batch);
    expect(await readdir(join(dir, 'out'), { withFileTypes: false })).toEqual(['events_3-5-0_3-6-0.ndjson']);
  });

  it('names a batch without ids by a hash of its content, which is just as repeatable', async () => {
    const instance = await sink({ directory: 'out', fileName: 'part-{first}.{ext}', format: 'lines' });
    await instance.write([event('a'), event('b')]);
    await instance.write([event('a'), event('b')]);
    const names = await readdir(join(dir, 'out'));
    expect(names).toEqual([expect.stringMatching(/^part-[0-9a-f]{16}\.txt$/)]);
    expect(await readFile(join(dir, 'out', names[0]), 'utf8')).toBe('a\nb\n');
  });

  it('makes ids safe for file names', async () => {
    const instance = await sink({ directory: 'out', fileName: '{first}.{ext}' });
    await instance.write([event(1, 'orders:3/1-0')]);
    expect(await readdir(join(dir, 'out'))).toEqual(['orders_3_1-0.ndjson']);
  });

  it('appends every batch to one file with `file`, creating its folder', async () => {
    const plugin = fileSink;
    const instance = await plugin.create(plugin.config.parse({ file: 'logs/all.txt', format: 'value' }), {
      ...testPluginContext({ baseDir: dir }),
    });
    await instance.write([event('a', '1'), event({ b: 1 }, '2')]);
    await instance.write([event(3, '3')]);
    expect(await readFile(join(dir, 'logs/all.txt'), 'utf8')).toBe('"a"\n{"b":1}\n3\n');
  });

  it('never interleaves the lines of batches appended at the same time', async () => {
    const instance = await sink({ file: 'all.ndjson', format: 'value' });
    const batches = Array.from({ length: 8 }, (_, b) =>
      Array.from({ length: 2000 }, (_, i) => event({ b, i, pad: 'x'.repeat(50) }, `${b}-${i}`)),
    );
    await Promise.all(batches.map((batch) => instance.write(batch)));
    const lines = (await readFile(join(dir, 'all.ndjson'), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(16_000);
    const runs = lines.map((l) => JSON.parse(l).b).filter((b, i, all) => i === 0 || b !== all[i - 1]);
    expect(runs).toHaveLength(8);
  });

  it('rejects a record the format cannot write and writes the others', async () => {
    const instance = await sink({ directory: 'out', format: 'lines' });
    const result = await instance.write([event('a', '1'), event('b\nc', '2')]);
    expect(result?.rejected).toEqual([{ index: 1, error: expect.objectContaining({ kind: 'record' }) }]);
    expect(await readFile(join(dir, 'out', 'events_1_2.txt'), 'utf8')).toBe('a\n');
  });

  it('stops with a clear message when its folder is in fact a file', async () => {
    await writeFile(join(dir, 'out'), 'a file');
    await expect(sink({ directory: 'out' })).rejects.toMatchObject({
      kind: 'fatal',
      code: 'E_FILE_PATH',
      message: expect.stringContaining(join(dir, 'out')),
    });
  });

  it('refuses a config that cannot work, saying why', () => {
    const issues = (c: Record<string, unknown>) =>
      fileSinkConfig.safeParse(c).error?.issues.map((i) => i.message) ?? [];
    expect(issues({})).toEqual([expect.stringContaining('either directory')]);
    expect(issues({ directory: 'a', file: 'b' })).toEqual([expect.stringContaining('either directory')]);
    expect(issues({ directory: 'a', fileName: 'out.ndjson' })).toEqual([
      expect.stringContaining('overwrite the same file'),
    ]);
    expect(issues({ directory: 'a', fileName: 'sub/{first}' })).toEqual([expect.stringContaining('plain file name')]);
  });
});
