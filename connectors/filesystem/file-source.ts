// The file source shared by every file protocol: lists the folder through the file-system contract, reads each
// file once its writer has finished (stable size and time, or a done-marker), one event per line, NDJSON
// record, CSV row or file, and remembers in the checkpoint (stored with the events) how far each file was
// read. After-read actions run on the poll after the one that read a file's end, when the checkpoint that
// says so is stored: a crash in between repeats the action, never skips it.

import { errorKind } from '../../core/errors.js';
import type { SluiceEvent } from '../../core/event.js';
import type { Logger, PollSource, z } from '../../core/plugin.js';
import { FileReader, readWholeFile } from './file-reader.js';
import { fileCheckpoint, isStable, type ProcessedFile, readFileCheckpoint, standingOf } from './file-standing.js';
import { type FileSystem, FS_ERROR, isFsError } from './file-system.js';
import { type WalkedFile, walker } from './file-walk.js';
import { joinPath, parentPath } from './fs-path.js';
import { fillTemplate } from './name-template.js';
import type { fileSourceShape } from './source-config.js';

/** The header that names the file an event was read from (its path below `directory`). */
export const FILE_HEADER = 'sluice-file';

export type SharedFileSourceConfig = z.output<z.ZodObject<ReturnType<typeof fileSourceShape>>>;

export interface FileSourceParts {
  /** The config, with `directory`, `moveTo` and `failedTo` already absolute POSIX paths of `fs`. */
  config: SharedFileSourceConfig;
  /** Opens the file system on first use; the source closes it. */
  connect: () => Promise<FileSystem>;
  /** `ftp source sources (ftp) of pipeline "x"`: starts every message. */
  where: string;
  logger: Logger;
  clock?: () => number;
}

export function createSharedFileSource(parts: FileSourceParts): PollSource {
  const { config, where, logger } = parts;
  const clock = parts.clock ?? Date.now;
  const walk = walker(config);
  const reader = new FileReader({ ...config, logger, fileHeader: FILE_HEADER });
  let fs: FileSystem | undefined;

  async function finish(file: WalkedFile, folder: string | undefined, now: number): Promise<void> {
    if (folder === undefined) {
      await fs?.delete(file.path);
      return;
    }
    const target = joinPath(fillTemplate(folder, {}, new Date(now)), file.name);
    try {
      await fs?.mkdir(parentPath(target));
      await fs?.rename(file.path, target, { ifExists: 'replace' });
    } catch (err) {
      // The file is already gone: the action ran before a crash, or someone else took the file.
      if (isFsError(err, FS_ERROR.notFound) && (await fs?.stat(file.path)) === undefined) return;
      throw err;
    }
  }

  return {
    intervalMs: config.intervalMs,

    async poll(checkpoint) {
      const { files, pending } = readFileCheckpoint(checkpoint, where);
      fs ??= await parts.connect();
      const events: SluiceEvent[] = [];
      // A big file read over many polls goes on where the last poll stopped, on the same stream, without
      // listing the folder again: a listing costs more than a batch of lines on a remote server. Once the file
      // is read to its end, the rest of the batch comes from a listing as usual.
      const going = reader.going();
      const goingAt = going && files[going.name];
      let justRead: string | undefined;
      if (going && goingAt && reader.isOpenAt({ ...goingAt, ...going })) {
        const file: WalkedFile = { ...going, type: 'file', size: goingAt.size, mtimeMs: goingAt.mtimeMs };
        const hasMore = await take(file, goingAt, files, events, clock());
        if (hasMore || events.length >= config.batchSize) {
          return { events, checkpoint: fileCheckpoint(files, pending), hasMore: true };
        }
        justRead = going.name;
      }
      const { files: listed, markers } = await walk(fs, where);
      const now = clock();
      let hasMore = false;

      for (const file of listed) {
        // Its end was read in this poll: its after-read action waits until these events are stored.
        if (file.name === justRead) continue;
        const entry = files[file.name];
        const standing = standingOf(entry, file);
        const marker = config.doneMarker === undefined ? undefined : `${file.name}${config.doneMarker}`;
        if (standing === 'complete') {
          if (config.afterRead !== 'keep') {
            await finish(file, config.afterRead === 'move' ? config.moveTo : undefined, now);
            if (marker !== undefined && markers.has(marker)) {
              await finish(
                { ...file, name: marker, path: `${file.path}${config.doneMarker}` },
                config.afterRead === 'move' ? config.moveTo : undefined,
                now,
              );
            }
            delete files[file.name];
          }
          continue;
        }
        if (events.length >= config.batchSize) {
          hasMore = true;
          continue;
        }
        if (standing !== 'unfinished') {
          const isReady =
            marker === undefined
              ? isStable(pending, file, now, config.stableMs, fs.capabilities.mtimePrecisionMs)
              : markers.has(marker);
          if (!isReady) continue;
        }
        delete pending[file.name];
        if (standing === 'replaced') {
          logger.info(
            { file: file.path },
            `${where}: "${file.name}" was replaced or truncated; reading it again from the start`,
          );
        }
        const isFromStart = standing === 'new' || standing === 'replaced';
        const at: ProcessedFile = isFromStart
          ? { size: file.size, mtimeMs: file.mtimeMs, offset: 0, lines: 0 }
          : { ...(entry as ProcessedFile), size: file.size, mtimeMs: file.mtimeMs };
        if (await take(file, at, files, events, now)) hasMore = true;
      }

      // A file that is gone no longer needs remembering; one that comes back under its name is new.
      const names = new Set(listed.map((f) => f.name));
      for (const name of Object.keys(files)) if (!names.has(name)) delete files[name];
      for (const name of Object.keys(pending)) if (!names.has(name)) delete pending[name];
      return { events, checkpoint: fileCheckpoint(files, pending), hasMore };
    },

    async close() {
      reader.forget();
      await fs?.close();
      fs = undefined;
    },
  };

  /**
   * Reads `file` on from `at` into `events` (up to the batch size) and records how far in `files`; a file the
   * server refuses goes to failedTo. True when the file has more to read.
   */
  async function take(
    file: WalkedFile,
    at: ProcessedFile,
    files: Record<string, ProcessedFile>,
    events: SluiceEvent[],
    now: number,
  ): Promise<boolean> {
    try {
      const read = await readOne(file, at, config.batchSize - events.length, now);
      for (const e of read.events) events.push(e);
      files[file.name] = read.entry;
      return read.entry.offset < file.size;
    } catch (err) {
      if (isFsError(err, FS_ERROR.notFound)) return false; // gone since the listing
      if (errorKind(err) !== 'record') throw err;
      await failFile(file, err, now);
      delete files[file.name];
      return false;
    }
  }

  async function readOne(
    file: WalkedFile,
    at: ProcessedFile,
    room: number,
    now: number,
  ): Promise<{ events: SluiceEvent[]; entry: ProcessedFile }> {
    const system = fs as FileSystem;
    if (config.format === 'file') {
      if (file.size > config.maxFileBytes) {
        throw Object.assign(new Error(`${file.size} bytes, more than maxFileBytes (${config.maxFileBytes})`), {
          kind: 'record',
          code: 'E_FILE_TOO_BIG',
        });
      }
      const bytes = await readWholeFile(system, file.path);
      const event: SluiceEvent = { key: file.name, value: bytes, ts: now, headers: { [FILE_HEADER]: file.name } };
      return { events: [event], entry: { size: file.size, mtimeMs: file.mtimeMs, offset: file.size, lines: 0 } };
    }
    const read = await reader.read(system, { ...at, name: file.name, path: file.path }, room, now);
    if (read.error !== undefined) {
      logger.warn(
        { file: file.path, offset: read.offset },
        `${where}: reading "${file.path}" stopped at byte ${read.offset} (${(read.error as Error).message}); the events before it are kept and the rest is read on the next poll`,
      );
    }
    const entry: ProcessedFile = { size: file.size, mtimeMs: file.mtimeMs, offset: read.offset, lines: read.lines };
    if (read.columns !== undefined) entry.columns = read.columns;
    return { events: read.events, entry };
  }

  // A file the server refuses to give (a permission error, a 5xx reply): moved aside when failedTo is set, so
  // one bad file does not hold up the folder; otherwise it is left in place and tried again on each poll.
  async function failFile(file: WalkedFile, err: unknown, now: number): Promise<void> {
    const reason = (err as Error).message;
    if (config.failedTo === undefined) {
      logger.error(
        { file: file.path },
        `${where}: cannot read "${file.path}" (${reason}); trying again on the next poll (set failedTo to move such files aside)`,
      );
      return;
    }
    logger.error({ file: file.path }, `${where}: cannot read "${file.path}" (${reason}); moving it to failedTo`);
    await finish(file, config.failedTo, now);
  }
}
