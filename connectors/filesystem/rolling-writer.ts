// The rolling file sink: batches of a partition are appended to one hidden open file per folder, which gets its
// final name when the roll policy says so, on a timer when it is old enough, and when the sink closes.
//
// Why nothing acknowledged is lost and no file under a final name is partial: a batch is appended and then the
// open file is renamed to a name that records its new counts (open-file-name.ts) before `write` returns; only
// then is the batch acknowledged. A crash mid-append leaves bytes past the recorded count, which finishing cuts
// off (the batch was not acknowledged and comes again). A file is finished by renaming it, or by copying its
// recorded bytes to a temporary file first, to its final name; an open file that its sink left behind (a crash)
// is finished by another sink of the folder (on its first write there and every maxAgeMs after), once it is older
// than the roll policy allows.
//
// Why a redelivered batch is not written twice: the id ranges of every committed batch are recorded
// (written-ranges.ts) and events in them are skipped. The one gap is a crash between the commit rename and
// recording the range: that batch is written again.
import { createHash, type Hash, randomBytes } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FatalError, RetryableError } from '../../core/errors.js';
import type { SluiceEvent } from '../../core/event.js';
import type { Logger, RecordRejection } from '../../core/plugin.js';
import { writeBatch } from '../line-format/write-line.js';
import { type FileSystem, FS_ERROR, isFsError } from './file-system.js';
import { joinPath } from './fs-path.js';
import { type OpenFileState, openFileName, parseOpenFileName } from './open-file-name.js';
import { RollPolicy } from './roll-policy.js';
import {
  type FileFacts,
  fileBytes,
  finalFileName,
  folderOf,
  placement,
  type SharedFileSinkConfig,
  sinkFailure,
} from './sink-target.js';
import type { WrittenRangeStore } from './written-ranges.js';

// Ids go into the open file's name twice, hex-encoded: longer ones (not a topic's) would pass the 255-byte limit
// of a file name, and such a file is named by its content instead.
const MAX_ID_IN_NAME = 48;
const nameable = (id: string | undefined) => (id !== undefined && id.length <= MAX_ID_IN_NAME ? id : '');

/** One partition's part of a batch, formatted. */
interface BatchPart {
  folder: string;
  partition: string;
  /** Ids of the first and last events in `data` ('' without ids). */
  first: string;
  last: string;
  events: number;
  data: Buffer;
}

export interface RollingWriterParts {
  config: SharedFileSinkConfig & { roll: NonNullable<SharedFileSinkConfig['roll']> };
  fs: () => Promise<FileSystem>;
  where: string;
  pipeline: string;
  logger: Logger;
  ranges: WrittenRangeStore;
  clock?: () => number;
}

interface OpenFile {
  folder: string;
  state: OpenFileState;
  /** Hash of the recorded bytes; undefined once an append failed and bytes past the record may be there. */
  hash: Hash | undefined;
  /** Ids of the batch whose append failed: its commit may have happened all the same. */
  failed?: { first: string; last: string };
}

export class RollingWriter {
  private readonly policy: RollPolicy;
  private readonly open = new Map<string, OpenFile>();
  /** Folders written to, and when each was last looked at for open files that other sinks left behind. */
  private readonly scanned = new Map<string, number>();
  private readonly rescanMs: number;
  private readonly clock: () => number;
  private readonly timer: NodeJS.Timeout;
  // One step at a time: appends, commits and finishes of one sink never interleave.
  private queue: Promise<unknown> = Promise.resolve();
  private isClosed = false;

  constructor(private readonly parts: RollingWriterParts) {
    this.policy = new RollPolicy(parts.config.roll);
    this.clock = parts.clock ?? Date.now;
    this.rescanMs = Math.max(10_000, parts.config.roll.maxAgeMs);
    const tick = Math.max(50, Math.min(1000, parts.config.roll.maxAgeMs / 10));
    this.timer = setInterval(() => void this.onTimer(), tick);
    this.timer.unref();
  }

  /**
   * Appends the events of one partition that are not stored already to the folder's open file, and resolves once
   * that is recorded. Returns the events the format cannot hold, by index in `events`.
   */
  write(folder: string, partition: string, events: readonly SluiceEvent[]): Promise<RecordRejection[]> {
    return this.serially(async () => {
      const fs = await this.parts.fs();
      if (!fs.capabilities.append) {
        throw new FatalError(
          `${this.parts.where}: roll appends batches to an open file, and this server cannot append; remove roll ` +
            '(one file per batch) or use a protocol that can append (sftp rather than scp)',
          { code: 'E_FILE_ROLL_APPEND' },
        );
      }
      const key = `${folder}\n${partition}`;
      const torn = this.open.get(key);
      // Finished before the skip check: it finds out whether the failed batch was stored after all.
      if (torn && torn.hash === undefined) await this.finish(fs, key, torn);
      const stored = await this.parts.ranges.load(partition);
      const fresh = [...events.keys()].filter((i) => !stored.has(events[i]?.id));
      const { text, rejected } = writeBatch(
        this.parts.config,
        fresh.map((i) => events[i] as SluiceEvent),
      );
      const rejects = rejected.map((r) => ({ ...r, index: fresh[r.index] as number }));
      const isRejected = new Set(rejects.map((r) => r.index));
      const written = fresh.filter((i) => !isRejected.has(i)).map((i) => events[i] as SluiceEvent);
      if (written.length === 0) return rejects;
      await this.add(fs, {
        folder,
        partition,
        first: nameable(written[0]?.id),
        last: nameable(written[written.length - 1]?.id),
        events: written.length,
        data: fileBytes(this.parts.config, text),
      });
      return rejects;
    });
  }

  private async add(fs: FileSystem, part: BatchPart): Promise<void> {
    if (!this.scanned.has(part.folder)) await this.recover(fs, part.folder);
    const key = `${part.folder}\n${part.partition}`;
    let file = this.open.get(key);
    if (
      file &&
      (file.hash === undefined || this.policy.beforeAdding(file.state, part.events, part.data.length, this.clock()))
    ) {
      await this.finish(fs, key, file);
      file = undefined;
    }
    file ??= this.start(key, part);
    await this.append(fs, file, part);
    await this.recordStored(part.partition, part);
    if (this.policy.afterAdding(file.state, this.clock())) await this.finish(fs, key, file);
  }

  private async recordStored(partition: string, ids: { first: string; last: string }): Promise<void> {
    if (ids.first === '') return;
    await this.parts.ranges.record(partition, ids.first, ids.last).catch((err) => {
      this.parts.logger.warn(
        { err },
        `${this.parts.where}: could not record the ids of a stored batch; a redelivery of it would be written again`,
      );
    });
  }

  /** Finishes every open file; the sink writes no more. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.serially(async () => {
      this.isClosed = true;
      if (this.open.size === 0) return;
      const fs = await this.parts.fs();
      for (const [key, file] of [...this.open]) await this.finish(fs, key, file);
    });
  }

  private serially<T>(step: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.isClosed) {
        throw new RetryableError(`${this.parts.where}: the sink is stopping`, { code: 'E_SINK_CLOSED' });
      }
      return step();
    });
    this.queue = run.catch(() => undefined);
    return run.catch((err) => {
      throw sinkFailure(err, this.parts.where);
    });
  }

  /** Finishes open files that are old enough, and looks again for files that other sinks left behind. */
  private async onTimer(): Promise<void> {
    const now = this.clock();
    const isDue = [...this.open.values()].some((f) => now >= this.policy.dueAt(f.state));
    const stale = [...this.scanned].filter(([, at]) => now - at >= this.rescanMs).map(([folder]) => folder);
    if (this.isClosed || (!isDue && stale.length === 0)) return;
    await this.serially(async () => {
      const fs = await this.parts.fs();
      for (const [key, file] of [...this.open]) {
        if (this.clock() >= this.policy.dueAt(file.state)) await this.finish(fs, key, file);
      }
      for (const folder of stale) await this.recover(fs, folder);
    }).catch((err) => {
      this.parts.logger.warn({ err }, `${this.parts.where}: could not finish an open file; trying again`);
    });
  }

  private start(key: string, part: BatchPart): OpenFile {
    const state: OpenFileState = {
      partition: part.partition,
      openedAt: this.clock(),
      events: 0,
      bytes: 0,
      first: '',
      last: '',
      token: randomBytes(6).toString('hex'),
    };
    const file = { folder: part.folder, state, hash: createHash('sha256') };
    this.open.set(key, file);
    return file;
  }

  private async append(fs: FileSystem, file: OpenFile, part: BatchPart): Promise<void> {
    const path = joinPath(file.folder, openFileName(file.state));
    const next: OpenFileState = {
      ...file.state,
      events: file.state.events + part.events,
      bytes: file.state.bytes + part.data.length,
      first: file.state.first || part.first,
      last: part.last || file.state.last,
    };
    try {
      // The first batch is uploaded under a name that records no events: a crash during it loses nothing.
      await fs.write(path, Readable.from([part.data]), { append: file.state.bytes > 0 });
      await fs.rename(path, joinPath(file.folder, openFileName(next)));
    } catch (err) {
      // Bytes past the recorded count may be there now: the file is finished from its record before the next batch.
      file.hash = undefined;
      file.failed = { first: part.first, last: part.last };
      throw err;
    }
    file.hash?.update(part.data);
    file.state = next;
  }

  private async finish(fs: FileSystem, key: string, file: OpenFile): Promise<void> {
    if (file.hash === undefined) {
      // After a failed append the commit rename may have happened all the same (its reply lost): the file's
      // token finds its name.
      const current = await this.currentState(fs, file);
      if (file.failed && current && current.events > file.state.events) {
        await this.recordStored(current.partition, file.failed);
      }
      file.state = current ?? { ...file.state, events: 0 };
    }
    const sha256 = file.hash?.copy().digest('hex');
    const path = joinPath(file.folder, openFileName(file.state));
    try {
      await this.finishFile(fs, path, file.state, sha256);
    } catch (err) {
      // Gone: an earlier attempt renamed it and lost the reply, or another sink took it over as abandoned.
      if (!isFsError(err, FS_ERROR.notFound) || (await fs.stat(path)) !== undefined) throw err;
    }
    this.open.delete(key);
  }

  private async currentState(fs: FileSystem, file: OpenFile): Promise<OpenFileState | undefined> {
    for (const entry of await fs.list(file.folder)) {
      const state = parseOpenFileName(entry.name);
      if (state?.token === file.state.token) return state;
    }
    return undefined;
  }

  /**
   * Gives the recorded part of the open file at `path` its final name. With `sha256` (the whole file is the
   * recorded part) it is renamed; without, its recorded bytes are copied to a temporary file first.
   */
  private async finishFile(fs: FileSystem, path: string, state: OpenFileState, sha256?: string): Promise<void> {
    const folder = folderOf(path);
    if (state.events === 0) {
      await fs.delete(path);
      return;
    }
    let source = path;
    let hash = sha256;
    if (hash === undefined) {
      source = joinPath(folder, `.${randomBytes(8).toString('hex')}.tmp`);
      hash = await this.copyRecorded(fs, path, source, state.bytes);
    }
    const facts: FileFacts = { first: state.first, last: state.last, sha256: hash, partition: state.partition };
    const target = joinPath(
      folder,
      finalFileName(this.parts.config, this.parts.pipeline, facts, new Date(this.clock())),
    );
    try {
      const action = await placement(fs, target, this.parts.config, this.parts.where);
      if (action === 'write') await fs.rename(source, target, { ifExists: 'replace' });
      if (action === 'append') await fs.write(target, await fs.read(source), { append: true });
      if (action !== 'write') await fs.delete(source);
    } catch (err) {
      if (source !== path) await fs.delete(source).catch(() => undefined);
      throw err;
    }
    if (source !== path) await fs.delete(path);
  }

  /** Copies the first `bytes` bytes of `from` to `to`; returns their sha256. */
  private async copyRecorded(fs: FileSystem, from: string, to: string, bytes: number): Promise<string> {
    const hash = createHash('sha256');
    let left = bytes;
    const recorded = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        const kept = chunk.subarray(0, Math.max(0, left));
        left -= kept.length;
        hash.update(kept);
        done(null, kept.length > 0 ? kept : undefined);
      },
    });
    const reading = await fs.read(from);
    try {
      await Promise.all([pipeline(reading, recorded), fs.write(to, recorded)]);
    } catch (err) {
      reading.destroy();
      throw err;
    }
    if (left > 0) {
      throw new FatalError(
        `${this.parts.where}: the open file "${from}" is shorter than the ${bytes} bytes its name records, so ` +
          'something else changed it; move it out of the folder to go on',
        { code: 'E_FILE_ROLL_SHORT' },
      );
    }
    return hash.digest('hex');
  }

  /**
   * Finishes the open files other sinks left in `folder` (crashed, or stopped before they could): on the first
   * write to a folder, then every rescanMs while this sink lives, so they are finished without new traffic too.
   */
  private async recover(fs: FileSystem, folder: string): Promise<void> {
    const now = this.clock();
    for (const entry of await fs.list(folder)) {
      const state = parseOpenFileName(entry.name);
      if (state === undefined || !this.policy.isAbandoned(state, now)) continue;
      if ([...this.open.values()].some((f) => f.state.token === state.token)) continue;
      // Renaming to a token of our own claims it: of several sinks recovering at once, one rename succeeds.
      const claimed = { ...state, token: randomBytes(6).toString('hex') };
      const path = joinPath(folder, openFileName(claimed));
      try {
        await fs.rename(entry.path, path);
      } catch (err) {
        if (isFsError(err, FS_ERROR.notFound) || isFsError(err, FS_ERROR.exists)) continue;
        throw err;
      }
      await this.finishFile(fs, path, claimed);
      this.parts.logger.info(
        { file: entry.name, events: state.events },
        `${this.parts.where}: finished an open file left behind by a stopped sink`,
      );
    }
    this.scanned.set(folder, now);
  }
}
