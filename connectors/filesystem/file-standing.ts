// The source's checkpoint: for each file, how far it has been read, and for files not yet read, when they
// were first seen unchanged. Both are stored with the events, so a restart, or the poller moving to another
// worker, neither loses nor re-reads a file, and a file waiting to become stable does not start waiting again.
import { FatalError } from '../../core/errors.js';

export interface ProcessedFile {
  /** Size and modification time when it was last read. */
  size: number;
  mtimeMs: number;
  /** Bytes read (and stored as events) from the start of the file. */
  offset: number;
  /** Lines read, for messages that point at a line. */
  lines: number;
  /** CSV: the header row's columns, so reading can resume mid-file. */
  columns?: string[];
}

/** A file seen but not yet stable: its size and time, and since when (ms since the epoch) they held. */
export interface PendingFile {
  size: number;
  mtimeMs: number;
  since: number;
}

export interface FileCheckpoint {
  files: Record<string, ProcessedFile>;
  pending?: Record<string, PendingFile>;
}

export interface ListedFile {
  /** Path relative to the source's folder (the checkpoint key). */
  name: string;
  size: number;
  mtimeMs: number;
}

/**
 * How a listed file stands against its checkpoint entry.
 * - `new`: never read. `appended`: read before and has grown: read on from the offset.
 * - `replaced`: smaller than what was read, or rewritten to the same size: read again from the start.
 * - `unfinished`: unchanged since a poll that stopped part-way (the batch was full): read on, no waiting.
 * - `complete`: unchanged and read to the end: nothing to read; its after-read action may run.
 */
export type FileStanding = 'new' | 'appended' | 'replaced' | 'unfinished' | 'complete';

export function standingOf(entry: ProcessedFile | undefined, file: ListedFile): FileStanding {
  if (entry === undefined) return 'new';
  const isUnchanged = file.size === entry.size && file.mtimeMs === entry.mtimeMs;
  if (isUnchanged) return entry.offset >= file.size ? 'complete' : 'unfinished';
  if (file.size > entry.offset) return 'appended';
  return 'replaced';
}

/**
 * Whether a file's writer has finished: it has not changed for `stableMs`, judged by its modification time or,
 * where that is coarse or skewed (remote servers), by the same size and time seen across listings for at
 * least `stableMs`. Updates `pending` with what was seen.
 */
export function isStable(
  pending: Record<string, PendingFile>,
  file: ListedFile,
  now: number,
  stableMs: number,
  mtimePrecisionMs = 1,
): boolean {
  // Clocks give whole milliseconds, file times fractions of one: compare at the clock's resolution. A time
  // coarser than a second (FTP LIST gives minutes) cannot show the age, only unchanged listings can.
  const age = mtimePrecisionMs > 1000 ? Number.NEGATIVE_INFINITY : now - Math.floor(file.mtimeMs);
  const last = pending[file.name];
  if (last === undefined || last.size !== file.size || last.mtimeMs !== file.mtimeMs) {
    pending[file.name] = { size: file.size, mtimeMs: file.mtimeMs, since: now };
    return stableMs === 0 || age >= stableMs;
  }
  return age >= stableMs || now - last.since >= stableMs;
}

/** The checkpoint as stored, checked; `undefined` (the first poll) is an empty one. */
export function readFileCheckpoint(checkpoint: unknown, where: string): Required<FileCheckpoint> {
  if (checkpoint === undefined || checkpoint === null) return { files: {}, pending: {} };
  const { files, pending = {} } = checkpoint as Partial<FileCheckpoint>;
  const areNumbers = (o: object, keys: string[]) =>
    keys.every((k) => {
      const n = (o as Record<string, unknown>)[k];
      return typeof n === 'number' && Number.isFinite(n);
    });
  const isMap = (m: unknown, keys: string[]) =>
    m !== null &&
    typeof m === 'object' &&
    Object.values(m).every((f) => f !== null && typeof f === 'object' && areNumbers(f, keys));
  if (!isMap(files, ['size', 'mtimeMs', 'offset', 'lines']) || !isMap(pending, ['size', 'mtimeMs', 'since'])) {
    throw new FatalError(
      `${where}: the stored checkpoint is not {"files": {name: {size, mtimeMs, offset, lines}}}; ` +
        "reset this source's checkpoint (files already read will then be read again)",
      { code: 'E_CHECKPOINT' },
    );
  }
  return { files: { ...(files as Record<string, ProcessedFile>) }, pending: { ...pending } };
}

/** The checkpoint to store: `pending` only when something waits, so an idle folder's checkpoint stays small. */
export function fileCheckpoint(
  files: Record<string, ProcessedFile>,
  pending: Record<string, PendingFile>,
): FileCheckpoint {
  return Object.keys(pending).length > 0 ? { files, pending } : { files };
}
