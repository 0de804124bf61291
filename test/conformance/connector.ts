// The connector conformance suite for file protocols (local files, FTP/FTPS, SFTP, SCP): given a connector's
// source and sink factories, a file system on the same server, and capability switches, it proves the
// file-system contract (connectors/filesystem/file-system.ts) and what a user relies on end to end: round
// trips, exactly-once reading across restarts, no partial files, after-read actions, bad input, and that
// every call settles after a connection cut. Each protocol runs it unchanged from a one-line test file.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileSystem } from '../../connectors/filesystem/file-system.js';
import { FS_ERROR } from '../../connectors/filesystem/file-system.js';
import type { SluiceEvent } from '../../core/event.js';
import type { PollResult, PollSource, SinkInstance } from '../../core/plugin.js';

export interface ConnectorCapabilities {
  /** The protocol replaces a file in one step on rename (FTP RNTO over an existing file may not). */
  atomicRename: boolean;
  /** The file system can append (STOR with APPE, SFTP append flag); SCP cannot. */
  append: boolean;
  /** Reads can start mid-file (REST+RETR, SFTP offsets). */
  readFromOffset: boolean;
}

export interface ConnectorUnderTest {
  capabilities: ConnectorCapabilities;
  /** A file system on the same server, to set files up and look at what the sink wrote. */
  fileSystem(): Promise<FileSystem>;
  /** The path a source or sink key needs for `folder` of `fileSystem()` (local files: the absolute path). */
  keyPath(folder: string): string;
  /** The connector's source, `keys` being the shared keys (directory, pattern …) merged into its connection's. */
  source(keys: Record<string, unknown>): Promise<PollSource>;
  sink(keys: Record<string, unknown>): Promise<SinkInstance>;
  /**
   * Cuts every open connection to the server (kills the daemon, or drops a proxy's sockets) and lets new ones
   * through again once it resolves. Without it the connection-cut cases are reported as skipped, by name.
   */
  cutConnections?(): Promise<void>;
  cleanup?(): Promise<void>;
}

const text = (lines: unknown[]) => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
const stream = (data: string | Buffer) => Readable.from([Buffer.from(data)]);

async function bytesOf(fs: FileSystem, path: string, offset = 0): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await fs.read(path, offset)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Polls until the source has nothing more and returns every event and the last checkpoint. */
async function drain(
  source: PollSource,
  checkpoint?: unknown,
): Promise<{ events: SluiceEvent[]; checkpoint: unknown }> {
  const events: SluiceEvent[] = [];
  let result: PollResult;
  let at = checkpoint;
  do {
    result = await source.poll(at);
    for (const e of result.events) events.push(e);
    at = result.checkpoint;
  } while (result.hasMore);
  return { events, checkpoint: at };
}

export function describeConnectorConformance(name: string, make: () => Promise<ConnectorUnderTest>): void {
  describe(`file connector conformance: ${name}`, () => {
    let subject: ConnectorUnderTest;
    let fs: FileSystem;
    let run = 0;
    /** A fresh folder per test. */
    const folder = async () => {
      const path = `/conformance-${process.pid}-${run++}-${randomBytes(3).toString('hex')}`;
      await fs.mkdir(path);
      return path;
    };

    beforeAll(async () => {
      subject = await make();
      fs = await subject.fileSystem();
    }, 60_000);
    afterAll(async () => {
      await fs?.close();
      await subject?.cleanup?.();
    }, 60_000);

    describe('the file-system contract', () => {
      it('writes a file, lists it with its size and time, reads it back, also from an offset', async () => {
        const dir = await folder();
        const data = randomBytes(300_000);
        await fs.write(`${dir}/a.bin`, stream(data));
        const listed = await fs.list(dir);
        expect(listed).toEqual([
          expect.objectContaining({ name: 'a.bin', path: `${dir}/a.bin`, type: 'file', size: data.length }),
        ]);
        expect(listed[0]?.mtimeMs).toBeGreaterThan(Date.now() - 24 * 3600_000);
        expect((await bytesOf(fs, `${dir}/a.bin`)).equals(data)).toBe(true);
        if (subject.capabilities.readFromOffset) {
          expect((await bytesOf(fs, `${dir}/a.bin`, 123_456)).equals(data.subarray(123_456))).toBe(true);
        }
      });

      it('says what is missing: stat gives undefined, read and list reject with not-found', async () => {
        const dir = await folder();
        expect(await fs.stat(`${dir}/missing`)).toBeUndefined();
        await expect(fs.read(`${dir}/missing`)).rejects.toMatchObject({ code: FS_ERROR.notFound, kind: 'record' });
        await expect(fs.list(`${dir}/missing`)).rejects.toMatchObject({ code: FS_ERROR.notFound, kind: 'record' });
      });

      it('renames: refuses to drop an existing target unless told to replace it', async () => {
        const dir = await folder();
        await fs.write(`${dir}/a`, stream('a'));
        await fs.write(`${dir}/b`, stream('b'));
        await expect(fs.rename(`${dir}/a`, `${dir}/b`)).rejects.toMatchObject({ code: FS_ERROR.exists });
        await fs.rename(`${dir}/a`, `${dir}/b`, { ifExists: 'replace' });
        expect((await bytesOf(fs, `${dir}/b`)).toString()).toBe('a');
        expect(await fs.stat(`${dir}/a`)).toBeUndefined();
      });

      it('deletes (twice is fine) and creates nested folders (twice is fine)', async () => {
        const dir = await folder();
        await fs.write(`${dir}/a`, stream('a'));
        await fs.delete(`${dir}/a`);
        await fs.delete(`${dir}/a`);
        expect(await fs.list(dir)).toEqual([]);
        await fs.mkdir(`${dir}/x/y/z`);
        await fs.mkdir(`${dir}/x/y/z`);
        expect(await fs.stat(`${dir}/x/y/z`)).toMatchObject({ type: 'directory' });
      });

      it('writes an empty file, and appends nothing to a file, keeping it as it was', async () => {
        const dir = await folder();
        await fs.write(`${dir}/empty`, Readable.from([]));
        expect(await fs.stat(`${dir}/empty`)).toMatchObject({ type: 'file', size: 0 });
        expect((await bytesOf(fs, `${dir}/empty`)).length).toBe(0);
        if (subject.capabilities.append) {
          await fs.write(`${dir}/a`, stream('one\n'));
          await fs.write(`${dir}/a`, Readable.from([]), { append: true });
          expect((await bytesOf(fs, `${dir}/a`)).toString()).toBe('one\n');
        }
      });

      it('appends where it can, and says so where it cannot', async () => {
        const dir = await folder();
        await fs.write(`${dir}/a`, stream('one\n'));
        if (subject.capabilities.append) {
          await fs.write(`${dir}/a`, stream('two\n'), { append: true });
          expect((await bytesOf(fs, `${dir}/a`)).toString()).toBe('one\ntwo\n');
        } else {
          await expect(fs.write(`${dir}/a`, stream('two\n'), { append: true })).rejects.toMatchObject({
            code: FS_ERROR.unsupported,
          });
        }
      });
    });

    describe('source and sink', () => {
      it('round trip: what the sink writes the source reads back exactly, keys and bytes included', async () => {
        const dir = await folder();
        const batch: SluiceEvent[] = [
          { id: '1-0', key: 'k1', value: { a: 1, s: 'é ✓' }, ts: 1_700_000_000_000, headers: { h: 'v' } },
          { id: '1-1', key: null, value: new Uint8Array([0, 1, 2, 255]), ts: 1_700_000_000_001, headers: {} },
          { id: '1-2', key: 'k3', value: 'line\nbreak', ts: 1_700_000_000_002, headers: {} },
        ];
        const sink = await subject.sink({ directory: subject.keyPath(dir), format: 'ndjson' });
        await sink.write(batch);
        await sink.close?.();
        const source = await subject.source({ directory: subject.keyPath(dir), stableMs: 0 });
        const { events } = await drain(source);
        await source.close?.();
        expect(events.map(({ headers: { 'sluice-file': _f, ...headers }, ...e }) => ({ ...e, headers }))).toEqual(
          batch.map(({ id: _id, ...e }) => e),
        );
      });

      it('reads every event exactly once across restarts, a few lines per poll', async () => {
        const dir = await folder();
        const values = Array.from({ length: 95 }, (_, i) => i);
        await fs.write(`${dir}/a.ndjson`, stream(text(values.slice(0, 50))));
        await fs.write(`${dir}/b.ndjson`, stream(text(values.slice(50))));
        const seen: unknown[] = [];
        let checkpoint: unknown;
        for (let restarts = 0; restarts < 50; restarts++) {
          // A new instance each poll: what a restart, or the poller moving to another worker, looks like.
          const source = await subject.source({ directory: subject.keyPath(dir), stableMs: 0, batchSize: 7 });
          const result = await source.poll(checkpoint);
          await source.close?.();
          for (const e of result.events) seen.push(e.value);
          checkpoint = result.checkpoint;
          if (!result.hasMore && result.events.length === 0) break;
        }
        expect([...seen].sort((a, b) => (a as number) - (b as number))).toEqual(values);
      });

      it('does not read a file that is still changing until it has been stable for stableMs', async () => {
        const dir = await folder();
        await fs.write(`${dir}/a.ndjson`, stream(text([1])));
        const source = await subject.source({ directory: subject.keyPath(dir), stableMs: 3_600_000 });
        const first = await source.poll(undefined);
        expect(first.events).toEqual([]);
        await source.close?.();
      });

      it('leaves no file under a final name before it is complete, and no temporary file after', async () => {
        const dir = await folder();
        const sink = await subject.sink({ directory: subject.keyPath(dir), format: 'ndjson' });
        const batch = Array.from({ length: 20_000 }, (_, i) => ({
          id: `5-${i}`,
          key: null,
          value: { i, pad: 'x'.repeat(40) },
          ts: 0,
          headers: {},
        }));
        const writing = sink.write(batch);
        const sizes: number[] = [];
        let isDone = false;
        void writing.finally(() => {
          isDone = true;
        });
        while (!isDone) {
          for (const e of await fs.list(dir)) if (!e.name.startsWith('.')) sizes.push(e.size);
        }
        await writing;
        await sink.close?.();
        const final = (await fs.list(dir)).filter((e) => e.type === 'file');
        expect(final.map((e) => e.name.startsWith('.'))).toEqual([false]);
        for (const size of sizes) expect(size).toBe(final[0]?.size);
      });

      it('after read: deletes, or moves to a dated folder, once the events are stored', async () => {
        const dir = await folder();
        await fs.write(`${dir}/in/a.ndjson`.replace('/in/', '/'), stream(text([1])));
        await fs.mkdir(`${dir}/in`);
        await fs.write(`${dir}/in/b.ndjson`, stream(text([2])));
        const deleting = await subject.source({ directory: subject.keyPath(dir), stableMs: 0, afterRead: 'delete' });
        const read = await deleting.poll(undefined);
        expect(read.events.map((e) => e.value)).toEqual([1]);
        expect(await fs.stat(`${dir}/a.ndjson`)).toBeDefined();
        await deleting.poll(read.checkpoint);
        expect(await fs.stat(`${dir}/a.ndjson`)).toBeUndefined();
        await deleting.close?.();

        const moving = await subject.source({
          directory: subject.keyPath(`${dir}/in`),
          stableMs: 0,
          afterRead: 'move',
          moveTo: subject.keyPath(`${dir}/done/{yyyy}`),
        });
        const moved = await moving.poll(undefined);
        await moving.poll(moved.checkpoint);
        await moving.close?.();
        const year = String(new Date().getUTCFullYear());
        expect((await fs.list(`${dir}/done/${year}`)).map((e) => e.name)).toEqual(['b.ndjson']);
        expect(await fs.list(`${dir}/in`)).toEqual([]);
      });

      it('keeps a bad line visible with its reason, and reads on', async () => {
        const dir = await folder();
        await fs.write(`${dir}/a.ndjson`, stream('1\n{oops\n3\n'));
        const source = await subject.source({ directory: subject.keyPath(dir), stableMs: 0 });
        const { events } = await drain(source);
        await source.close?.();
        expect(events.map((e) => e.value)).toEqual([1, '{oops', 3]);
        expect(events[1]?.headers['sluice-error']).toContain('line 2');
      });

      it('reports a missing folder as fatal, naming it', async () => {
        const dir = await folder();
        const source = await subject.source({ directory: subject.keyPath(`${dir}/nowhere`), stableMs: 0 });
        await expect(source.poll(undefined)).rejects.toMatchObject({
          kind: 'fatal',
          message: expect.stringContaining('nowhere'),
        });
        await source.close?.();
      });
    });

    describe('rolled files', () => {
      // Ids unique to each test: the sink remembers stored id ranges per partition across instances.
      let ms = Date.now() * 10;
      const events = (count: number, partition = 0) => {
        ms += 1000;
        return Array.from({ length: count }, (_, i) => ({
          id: `${partition}-${ms}-${i}`,
          key: null,
          value: { at: ms, i },
          ts: 0,
          headers: {},
        }));
      };
      const valuesIn = async (dir: string) => {
        const files = (await fs.list(dir)).filter((e) => e.type === 'file');
        const named = files.filter((e) => !e.name.startsWith('.'));
        const values: unknown[][] = [];
        for (const f of named) {
          const raw = await bytesOf(fs, f.path);
          const body = f.name.endsWith('.gz') ? gunzipSync(raw) : raw;
          values.push(
            body
              .toString()
              .trimEnd()
              .split('\n')
              .map((l) => JSON.parse(l).value),
          );
        }
        return { hidden: files.filter((e) => e.name.startsWith('.')).map((e) => e.name), values };
      };
      const rollingSink = (dir: string, roll: Record<string, unknown>, keys: Record<string, unknown> = {}) =>
        subject.sink({ directory: subject.keyPath(dir), format: 'ndjson', roll, ...keys });

      it('collects batches into files of at most maxEvents, each under its final name only when complete', async (ctx) => {
        if (!subject.capabilities.append) {
          ctx.skip(`${name} cannot append, so it cannot roll (see the next case)`);
          return;
        }
        const dir = await folder();
        const sink = await rollingSink(dir, { maxEvents: 10, maxAgeMs: 3_600_000 });
        const batches = Array.from({ length: 7 }, () => events(4));
        for (const batch of batches) {
          await sink.write(batch);
          const { values } = await valuesIn(dir);
          // Every file under a final name is whole: complete batches of 4, at most 10 events.
          for (const v of values) expect(v.length % 4 === 0 && v.length <= 10).toBe(true);
        }
        await sink.close?.();
        const { hidden, values } = await valuesIn(dir);
        expect(hidden).toEqual([]);
        expect(values.map((v) => v.length).sort()).toEqual([4, 8, 8, 8]);
        expect(values.flat()).toHaveLength(28);
        expect(new Set(values.flat().map((v) => JSON.stringify(v))).size).toBe(28);
      });

      it('finishes a file by size, and by age when no more events come', async (ctx) => {
        if (!subject.capabilities.append) {
          ctx.skip(`${name} cannot append, so it cannot roll`);
          return;
        }
        const dir = await folder();
        const bySize = await rollingSink(`${dir}`, { maxBytes: 1, maxAgeMs: 3_600_000 });
        await bySize.write(events(3));
        expect((await valuesIn(dir)).values.map((v) => v.length)).toEqual([3]);
        await bySize.close?.();

        const aged = await folder();
        const byAge = await rollingSink(aged, { maxAgeMs: 500 });
        await byAge.write(events(2));
        await byAge.write(events(3));
        let found: unknown[][] = [];
        for (const started = Date.now(); Date.now() - started < 30_000; ) {
          found = (await valuesIn(aged)).values;
          if (found.length > 0) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(found.map((v) => v.length)).toEqual([5]);
        expect((await valuesIn(aged)).hidden).toEqual([]);
        await byAge.close?.();
      }, 60_000);

      it('skips a batch delivered again, also to a new instance, and keeps gzip files whole', async (ctx) => {
        if (!subject.capabilities.append) {
          ctx.skip(`${name} cannot append, so it cannot roll`);
          return;
        }
        const dir = await folder();
        const first = events(5);
        const second = events(5, 1);
        const sink = await rollingSink(dir, { maxAgeMs: 3_600_000 }, { compression: 'gzip' });
        await sink.write(first);
        await sink.write(first);
        await sink.write(second);
        await sink.close?.();
        const again = await rollingSink(dir, { maxAgeMs: 3_600_000 }, { compression: 'gzip' });
        await again.write([...first.slice(2), ...second]);
        await again.close?.();
        const { hidden, values } = await valuesIn(dir);
        expect(hidden).toEqual([]);
        // One file per partition.
        expect(values.map((v) => v.length).sort()).toEqual([5, 5]);
      });

      it('after a crash, finishes the open file left behind with its acknowledged events only', async (ctx) => {
        if (!subject.capabilities.append) {
          ctx.skip(`${name} cannot append, so it cannot roll`);
          return;
        }
        const dir = await folder();
        const acked = events(3);
        const body = text(acked.map((e) => ({ key: null, value: e.value, ts: 0, id: e.id })));
        // What a sink killed mid-append leaves: a name recording three events, and half a fourth line after them.
        const hex = (id: string) => Buffer.from(id).toString('hex');
        const left = `.sluice-open_0_1000_3_${Buffer.byteLength(body)}_${hex(acked[0]?.id ?? '')}_${hex(acked[2]?.id ?? '')}_dead`;
        await fs.write(`${dir}/${left}`, stream(`${body}{"key":null,"val`));
        const sink = await rollingSink(dir, { maxAgeMs: 3_600_000 });
        await sink.write(events(2, 1));
        await sink.close?.();
        const { hidden, values } = await valuesIn(dir);
        expect(hidden).toEqual([]);
        expect(values.sort((a, b) => a.length - b.length)).toEqual([
          [expect.anything(), expect.anything()],
          acked.map((e) => e.value),
        ]);
      });

      it('refuses to roll where the server cannot append, saying what to do', async (ctx) => {
        if (subject.capabilities.append) {
          ctx.skip(`${name} can append`);
          return;
        }
        const dir = await folder();
        const sink = await rollingSink(dir, {});
        await expect(sink.write(events(1))).rejects.toMatchObject({ kind: 'fatal', code: 'E_FILE_ROLL_APPEND' });
        await sink.close?.();
      });
    });

    describe('connection cuts', () => {
      it('every call settles after a cut, and reading goes on without losing an event, duplicates within one poll', async (ctx) => {
        if (!subject.cutConnections) {
          ctx.skip(`${name} has no way to cut its connections`);
          return;
        }
        const dir = await folder();
        const values = Array.from({ length: 200_000 }, (_, i) => i);
        await fs.write(`${dir}/big.ndjson`, stream(text(values)));
        let checkpoint: unknown;
        const seen = new Set<unknown>();
        let reads = 0;
        let source = await subject.source({ directory: subject.keyPath(dir), stableMs: 0, batchSize: 10_000 });
        const first = await source.poll(undefined);
        for (const e of first.events) seen.add(e.value);
        reads += first.events.length;
        checkpoint = first.checkpoint;
        await subject.cutConnections();
        for (let attempt = 0; attempt < 200 && seen.size < values.length; attempt++) {
          try {
            const r = await source.poll(checkpoint);
            for (const e of r.events) seen.add(e.value);
            reads += r.events.length;
            checkpoint = r.checkpoint;
          } catch (err) {
            // Settled with a retryable error: the runtime would retry; so do we, with a fresh instance.
            expect((err as { kind?: string }).kind).toBe('retryable');
            await source.close?.();
            source = await subject.source({ directory: subject.keyPath(dir), stableMs: 0, batchSize: 10_000 });
          }
        }
        await source.close?.();
        expect(seen.size).toBe(values.length);
        // Read again at most: the poll the cut interrupted (the runtime stores events with their checkpoint).
        expect(reads - seen.size).toBeLessThanOrEqual(10_000);
      }, 120_000);
    });
  });
}
