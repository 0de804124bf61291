// The `file` source: reads the files of a folder that match a name pattern, as NDJSON or lines. A file is
// read once its writer has finished (see stable-file.ts); what was read is in the checkpoint, stored with
// the events (see processed-files.ts); big files are read over several polls, `batchSize` lines at a time.
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { SluiceEvent } from '../../core/event.js';
import { defineSource, type PluginContext, type PollSource, z } from '../../core/plugin.js';
import { inputFormat, type LineReader, onInvalidLine, readLine } from '../line-format/read-line.js';
import { finishFile } from './after-read.js';
import { fileSystemError } from './fs-error.js';
import { readLineRange } from './line-range.js';
import { namePattern, patternProblem } from './name-pattern.js';
import { readFileCheckpoint, standingOf } from './processed-files.js';
import { type FileStat, StableFiles } from './stable-file.js';

/** The header that names the file an event was read from. */
export const FILE_HEADER = 'sluice-file';

export const fileSourceConfig = z
  .object({
    directory: z
      .string()
      .min(1)
      .describe('Folder to read files from (not its subfolders); relative to the pipeline file.'),
    pattern: z
      .string()
      .default('*')
      .superRefine((p, ctx) => {
        const problem = patternProblem(p);
        if (problem) ctx.addIssue({ code: 'custom', message: `pattern "${p}": ${problem}` });
      })
      .describe(
        'Names of the files to read: * (any characters), ? (one character), {a,b} (either), e.g. "*.{ndjson,jsonl}". ' +
          'Wildcards do not match a leading dot, so hidden and temporary files are left alone.',
      ),
    format: inputFormat,
    onInvalid: onInvalidLine,
    stableMs: z
      .number()
      .int()
      .nonnegative()
      .default(2000)
      .describe(
        'A file is read once it has not changed for this long, in milliseconds (by its modification time, or ' +
          'by the same size and time seen across polls), so that files still being written are not read.',
      ),
    afterRead: z
      .enum(['keep', 'delete', 'move'])
      .default('keep')
      .describe(
        'What to do with a file once all its events are stored: keep it (lines appended later are read ' +
          'then), delete it, or move it to `moveTo`.',
      ),
    moveTo: z
      .string()
      .min(1)
      .optional()
      .describe('Folder to move finished files to, with afterRead: move; relative to the pipeline file.'),
    batchSize: z.number().int().positive().default(1000).describe('Most lines read per poll (stored together).'),
    intervalMs: z
      .number()
      .int()
      .positive()
      .default(1000)
      .describe('Time between looks at the folder, in milliseconds.'),
  })
  .superRefine((c, ctx) => {
    if (c.afterRead === 'move' && c.moveTo === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['moveTo'],
        message: 'afterRead: move needs moveTo, the folder to move files to',
      });
    }
    if (c.afterRead !== 'move' && c.moveTo !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['moveTo'], message: 'moveTo is used only with afterRead: move' });
    }
  });

export type FileSourceConfig = z.output<typeof fileSourceConfig>;

/** The source with an injectable clock, for tests of stability. */
export function createFileSource(
  config: FileSourceConfig,
  ctx: PluginContext,
  clock: () => number = Date.now,
): PollSource {
  const directory = resolve(ctx.baseDir, config.directory);
  const moveTo = config.moveTo === undefined ? undefined : resolve(ctx.baseDir, config.moveTo);
  const isMatch = namePattern(config.pattern);
  const stable = new StableFiles(config.stableMs);
  const reader: LineReader = { format: config.format, onInvalid: config.onInvalid, logger: ctx.logger };
  const where = `file source ${ctx.component} of pipeline "${ctx.pipeline}"`;
  let isMoveToReady = false;

  async function list(): Promise<FileStat[]> {
    let names: string[];
    try {
      const entries = await readdir(directory, { withFileTypes: true });
      names = entries.filter((e) => (e.isFile() || e.isSymbolicLink()) && isMatch(e.name)).map((e) => e.name);
    } catch (err) {
      throw fileSystemError(err, `${where}: cannot list the folder "${directory}"`);
    }
    const stats = await Promise.all(
      names.map(async (name): Promise<FileStat | undefined> => {
        try {
          const s = await stat(join(directory, name));
          return s.isFile() ? { name, size: s.size, mtimeMs: s.mtimeMs } : undefined;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // gone since the listing
          throw fileSystemError(err, `${where}: cannot read "${join(directory, name)}"`);
        }
      }),
    );
    // Oldest first, so events come in about the order the files arrived.
    return stats
      .filter((s): s is FileStat => s !== undefined)
      .sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  return {
    intervalMs: config.intervalMs,

    async poll(checkpoint) {
      const { files } = readFileCheckpoint(checkpoint, where);
      const listed = await list();
      const now = clock();
      const events: SluiceEvent[] = [];
      let hasMore = false;
      if (moveTo !== undefined && !isMoveToReady) {
        await ensureFolder(moveTo, where);
        isMoveToReady = true;
      }

      for (const file of listed) {
        const path = join(directory, file.name);
        const entry = files[file.name];
        const standing = standingOf(entry, file);
        if (standing === 'complete') {
          // This checkpoint is stored, so are the file's events: the after-read action is safe now.
          if (config.afterRead !== 'keep') {
            await finishFile(config.afterRead, path, file.name, moveTo, where);
            delete files[file.name];
          }
          continue;
        }
        if (events.length >= config.batchSize) {
          hasMore = true;
          continue;
        }
        if (standing !== 'unfinished' && !stable.isStable(file, now)) continue;
        const isFromStart = standing === 'new' || standing === 'replaced';
        if (standing === 'replaced') {
          ctx.logger.info(
            { file: path },
            `${where}: "${file.name}" was replaced or truncated; reading it again from the start`,
          );
        }
        const from = isFromStart ? 0 : entry.offset;
        let lineNumber = isFromStart ? 0 : entry.lines;
        let range: Awaited<ReturnType<typeof readLineRange>>;
        try {
          range = await readLineRange(path, from, file.size, config.batchSize - events.length);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // gone since the listing
          throw fileSystemError(err, `${where}: cannot read "${path}"`);
        }
        for (const line of range.lines) {
          lineNumber++;
          const event = readLine(reader, line, `file "${path}" line ${lineNumber}`, now);
          if (event !== null) events.push({ ...event, headers: { ...event.headers, [FILE_HEADER]: file.name } });
        }
        files[file.name] = { size: file.size, mtimeMs: file.mtimeMs, offset: range.end, lines: lineNumber };
        if (range.end < file.size) hasMore = true;
      }

      // A file that is gone no longer needs remembering; one that comes back under its name is new.
      const names = new Set(listed.map((f) => f.name));
      for (const name of Object.keys(files)) if (!names.has(name)) delete files[name];
      stable.keepOnly(names);
      return { events, checkpoint: { files }, hasMore };
    },
  };
}

async function ensureFolder(folder: string, where: string): Promise<void> {
  try {
    await mkdir(folder, { recursive: true });
  } catch (err) {
    throw fileSystemError(err, `${where}: cannot create the folder "${folder}" for moved files`);
  }
}

export default defineSource({
  name: 'file',
  summary: 'Read the files of a folder that match a pattern, as NDJSON or lines, once they are fully written.',
  config: fileSourceConfig,
  create: (config, ctx) => createFileSource(config, ctx),
});
