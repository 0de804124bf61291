// The file source's checkpoint: for each file, how far it has been read. It is stored with the events, so
// after a restart a file is neither lost nor read twice, and a file that grows is read from where it was.
import { FatalError } from '../../core/errors.js';
import type { FileStat } from './stable-file.js';

export interface ProcessedFile {
  /** Size and modification time when it was last read. */
  size: number;
  mtimeMs: number;
  /** Bytes read (and stored as events) from the start of the file. */
  offset: number;
  /** Lines read, for messages that point at a line. */
  lines: number;
}

export interface FileCheckpoint {
  files: Record<string, ProcessedFile>;
}

/**
 * How a listed file stands against its checkpoint entry.
 * - `new`: never read. `appended`: read before and has grown: read on from the offset.
 * - `replaced`: smaller than what was read, or rewritten to the same size: read again from the start.
 * - `unfinished`: unchanged since a poll that stopped part-way (the batch was full): read on, no waiting.
 * - `complete`: unchanged and read to the end: nothing to read; its after-read action may run.
 */
export type FileStanding = 'new' | 'appended' | 'replaced' | 'unfinished' | 'complete';

export function standingOf(entry: ProcessedFile | undefined, file: FileStat): FileStanding {
  if (entry === undefined) return 'new';
  const isUnchanged = file.size === entry.size && file.mtimeMs === entry.mtimeMs;
  if (isUnchanged) return entry.offset >= file.size ? 'complete' : 'unfinished';
  if (file.size > entry.offset) return 'appended';
  return 'replaced';
}

/** The checkpoint as stored, checked; `undefined` (the first poll) is an empty one. */
export function readFileCheckpoint(checkpoint: unknown, where: string): FileCheckpoint {
  if (checkpoint === undefined || checkpoint === null) return { files: {} };
  const files = (checkpoint as Partial<FileCheckpoint>).files;
  const isValid =
    files !== null &&
    typeof files === 'object' &&
    Object.values(files).every(
      (f) =>
        f !== null &&
        typeof f === 'object' &&
        [f.size, f.mtimeMs, f.offset, f.lines].every((n) => typeof n === 'number' && Number.isFinite(n)),
    );
  if (!isValid) {
    throw new FatalError(
      `${where}: the stored checkpoint is not {"files": {name: {size, mtimeMs, offset, lines}}}; ` +
        "reset this source's checkpoint (files already read will then be read again)",
      { code: 'E_CHECKPOINT' },
    );
  }
  return { files: { ...files } };
}
