// The rolling file sink when the file system fails half-way: an append torn by a cut connection, a commit rename
// whose reply is lost. What is acknowledged is in exactly one finished file; what was not comes again, once.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalFileSystem } from '../../../../connectors/file/local-file-system.js';
import { createSharedFileSink } from '../../../../connectors/filesystem/file-sink.js';
import type { RenameOptions, WriteOptions } from '../../../../connectors/filesystem/file-system.js';
import { fileSinkShape } from '../../../../connectors/filesystem/sink-config.js';
import { RetryableError } from '../../../../core/errors.js';
import type { SluiceEvent } from '../../../../core/event.js';
import { z } from '../../../../core/plugin.js';
import { testPluginContext } from '../../../conformance/plugin-context.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-rolling-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Local files that fail once, on the next append or commit rename, as a cut connection would. */
class FaultyFileSystem extends LocalFileSystem {
  fault: 'torn append' | 'lost rename reply' | undefined;

  override async write(path: string, data: Readable, options?: WriteOptions): Promise<void> {
    if (this.fault !== 'torn append' || !options?.append) return super.write(path, data, options);
    this.fault = undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of data) chunks.push(chunk as Buffer);
    const whole = Buffer.concat(chunks);
    await super.write(path, Readable.from([whole.subarray(0, whole.length / 2)]), options);
    throw new RetryableError('connection cut', { code: 'E_FS_UNAVAILABLE' });
  }

  override async rename(from: string, to: string, options?: RenameOptions): Promise<void> {
    await super.rename(from, to, options);
    if (this.fault === 'lost rename reply' && to.includes('.sluice-open_')) {
      this.fault = undefined;
      throw new RetryableError('connection cut', { code: 'E_FS_UNAVAILABLE' });
    }
  }
}

const events = (from: number, count: number): SluiceEvent[] =>
  Array.from({ length: count }, (_, i) => ({
    id: `0-${1000 + from + i}-0`,
    key: null,
    value: from + i,
    ts: 0,
    headers: {},
  }));

async function finishedValues(): Promise<number[][]> {
  const names = (await readdir(dir)).sort();
  expect(names.filter((n) => n.startsWith('.'))).toEqual([]);
  return Promise.all(
    names.map(async (n) =>
      (await readFile(join(dir, n), 'utf8'))
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).value as number),
    ),
  );
}

for (const fault of ['torn append', 'lost rename reply'] as const) {
  it(`stores every event once when a ${fault} fails a batch that is then retried`, async () => {
    const fs = new FaultyFileSystem(dir);
    const config = z.object(fileSinkShape('')).parse({ directory: '/', roll: { maxAgeMs: 3_600_000 } });
    const sink = createSharedFileSink({
      config,
      connect: async () => fs,
      where: 'test sink',
      ctx: testPluginContext(),
    });
    await sink.write(events(0, 3));
    fs.fault = fault;
    const failing = events(3, 3);
    await expect(sink.write(failing)).rejects.toMatchObject({ kind: 'retryable' });
    await sink.write(failing);
    await sink.write(events(6, 2));
    await sink.close?.();
    const values = await finishedValues();
    expect(values.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
}

describe('rolling sink', () => {
  it('finishes its open files when it closes', async () => {
    const config = z.object(fileSinkShape('')).parse({ directory: '/', roll: {} });
    const sink = createSharedFileSink({
      config,
      connect: async () => new LocalFileSystem(dir),
      where: 'test sink',
      ctx: testPluginContext(),
    });
    await sink.write(events(0, 2));
    expect((await readdir(dir)).every((n) => n.startsWith('.sluice-open_'))).toBe(true);
    await sink.close?.();
    expect(await finishedValues()).toEqual([[0, 1]]);
  });
});

it('goes on when the rename to the final name happened but its reply was lost', async () => {
  class LostFinish extends LocalFileSystem {
    isLost = true;
    override async rename(from: string, to: string, options?: RenameOptions): Promise<void> {
      await super.rename(from, to, options);
      if (this.isLost && !to.includes('/.')) {
        this.isLost = false;
        throw new RetryableError('connection cut', { code: 'E_FS_UNAVAILABLE' });
      }
    }
  }
  const fs = new LostFinish(dir);
  const config = z.object(fileSinkShape('')).parse({ directory: '/', roll: { maxEvents: 2 } });
  const sink = createSharedFileSink({ config, connect: async () => fs, where: 'test sink', ctx: testPluginContext() });
  const batch = events(0, 2);
  await expect(sink.write(batch)).rejects.toMatchObject({ kind: 'retryable' });
  await sink.write(batch);
  await sink.write(events(2, 2));
  await sink.close?.();
  expect(await finishedValues()).toEqual([
    [0, 1],
    [2, 3],
  ]);
});
