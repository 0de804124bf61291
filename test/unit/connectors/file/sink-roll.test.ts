import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileSink, fileSinkConfig } from '../../../../connectors/file/sink.js';
import type { SluiceEvent } from '../../../../core/event.js';
import type { PluginContext } from '../../../../core/plugin.js';
import { testPluginContext } from '../../../conformance/plugin-context.js';

let dir: string;
let ctx: PluginContext;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-file-roll-'));
  ctx = testPluginContext({ baseDir: dir, component: 'sinks[0]' });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sink = (config: Record<string, unknown>, clock?: () => number) =>
  createFileSink(fileSinkConfig.parse({ directory: 'out', ...config }), ctx, clock);

const events = (partition: number, from: number, count: number): SluiceEvent[] =>
  Array.from({ length: count }, (_, i) => ({
    id: `${partition}-${1000 + from + i}-0`,
    key: null,
    value: from + i,
    ts: 0,
    headers: {},
  }));

const linesOf = async (name: string) =>
  (await readFile(join(dir, 'out', name), 'utf8'))
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l).value);

describe('file sink with roll', () => {
  it('writes one file per partition, named from its first and last ids and its partition', async () => {
    const instance = await sink({ roll: { maxEvents: 4 }, fileName: 'p{partition}_{first}_{last}.{ext}' });
    await instance.write([...events(0, 0, 2), ...events(1, 0, 2)]);
    await instance.write([...events(0, 2, 2), ...events(1, 2, 1)]);
    expect(await readdir(join(dir, 'out'))).toEqual([
      expect.stringMatching(/^\.sluice-open_1_/),
      'p0_0-1000-0_0-1003-0.ndjson',
    ]);
    await instance.close?.();
    expect((await readdir(join(dir, 'out'))).sort()).toEqual([
      'p0_0-1000-0_0-1003-0.ndjson',
      'p1_1-1000-0_1-1002-0.ndjson',
    ]);
    expect(await linesOf('p1_1-1000-0_1-1002-0.ndjson')).toEqual([0, 1, 2]);
  });

  it('loses nothing acknowledged when a sink dies with a file open: the next sink finishes it', async () => {
    const t0 = 1_800_000_000_000;
    const crashed = await sink({ roll: { maxAgeMs: 60_000 } }, () => t0);
    await crashed.write(events(0, 0, 3));
    await crashed.write(events(0, 3, 3));
    // No close: the process is gone. A sink started three minutes later takes the file over.
    const next = await sink({ roll: { maxAgeMs: 60_000 } }, () => t0 + 180_000);
    await next.write(events(0, 3, 5));
    await next.close?.();
    const names = (await readdir(join(dir, 'out'))).sort();
    expect(names).toEqual(['events_0-1000-0_0-1005-0.ndjson', 'events_0-1006-0_0-1007-0.ndjson']);
    expect(await linesOf(names[0] as string)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await linesOf(names[1] as string)).toEqual([6, 7]);
  });

  it('finishes a file left behind also when no more events come, while another sink of the folder lives', async () => {
    const t0 = 1_800_000_000_000;
    const crashed = await sink({ roll: { maxAgeMs: 1000 } }, () => t0);
    await crashed.write(events(0, 0, 2));
    let now = t0 + 500;
    const live = await sink({ roll: { maxAgeMs: 1000 } }, () => now);
    await live.write(events(1, 0, 1));
    now = t0 + 200_000;
    const started = Date.now();
    while (Date.now() - started < 30_000 && (await readdir(join(dir, 'out'))).some((n) => n.startsWith('.'))) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await readdir(join(dir, 'out'))).sort()).toEqual([
      'events_0-1000-0_0-1001-0.ndjson',
      'events_1-1000-0_1-1000-0.ndjson',
    ]);
    await live.close?.();
  });

  it('leaves an open file of a live sink alone', async () => {
    const t0 = 1_800_000_000_000;
    const live = await sink({ roll: { maxAgeMs: 60_000 } }, () => t0);
    await live.write(events(0, 0, 2));
    const other = await sink({ roll: { maxAgeMs: 60_000 } }, () => t0 + 30_000);
    await other.write(events(0, 2, 2));
    await other.close?.();
    expect(await readdir(join(dir, 'out'))).toEqual([
      expect.stringMatching(/^\.sluice-open_0_/),
      'events_0-1002-0_0-1003-0.ndjson',
    ]);
    await live.close?.();
    expect(await readdir(join(dir, 'out'))).toHaveLength(2);
  });

  it('stops with a clear message when a finished file meets an existing one and ifExists is fail', async () => {
    const first = await sink({ roll: {}, ifExists: 'fail', fileName: 'p{partition}-{date}.{ext}' });
    await first.write(events(0, 0, 1));
    await first.close?.();
    const second = await sink({ roll: { maxEvents: 1 }, ifExists: 'fail', fileName: 'p{partition}-{date}.{ext}' });
    await expect(second.write(events(0, 1, 1))).rejects.toMatchObject({
      kind: 'fatal',
      code: 'E_FILE_EXISTS',
      message: expect.stringContaining('ifExists: fail'),
    });
  });

  it('appends each finished file to one daily file with ifExists: append', async () => {
    const instance = await sink({ roll: { maxEvents: 2 }, ifExists: 'append', fileName: 'day-{date}.{ext}' });
    await instance.write(events(0, 0, 2));
    await instance.write(events(0, 2, 2));
    await instance.write(events(0, 4, 1));
    await instance.close?.();
    const names = await readdir(join(dir, 'out'));
    expect(names).toEqual([expect.stringMatching(/^day-\d{4}-\d{2}-\d{2}\.ndjson$/)]);
    expect(await linesOf(names[0] as string)).toEqual([0, 1, 2, 3, 4]);
  });

  it('names a rolled file by its content when its ids are too long for a file name', async () => {
    const instance = await sink({ roll: {} });
    await instance.write([{ id: 'x'.repeat(300), key: null, value: 1, ts: 0, headers: {} }]);
    await instance.close?.();
    expect(await readdir(join(dir, 'out'))).toEqual([
      expect.stringMatching(/^events_[0-9a-f]{16}_[0-9a-f]{16}\.ndjson$/),
    ]);
  });

  it('refuses roll together with `file`', () => {
    const issues = fileSinkConfig.safeParse({ file: 'a.ndjson', roll: {} }).error?.issues ?? [];
    expect(issues).toEqual([
      expect.objectContaining({ path: ['roll'], message: expect.stringContaining('directory') }),
    ]);
  });
});
