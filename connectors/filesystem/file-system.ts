// The file-system contract: what every file protocol (local files, FTP/FTPS, SFTP, SCP) implements so that one
// file source and one file sink serve them all. Keep it small: anything a protocol can do on top of these calls
// belongs in the shared source/sink, not here.
//
// Paths are POSIX (`/` separated) and absolute within the adapter's root: `/in/orders.csv`. An adapter maps
// them to its own world (a local folder, the FTP login folder, the SFTP home) and never lets `..` leave it.
//
// Errors: every call rejects only with a `SluiceError` (core/errors.ts) whose `code` is one of FS_ERROR below
// and whose `kind` tells the caller what to do: the adapter classifies its library's errors at its edge
// (errno codes, FTP reply codes, SSH status codes). Messages name the operation and the path, never secrets.
//
// Concurrency: a caller may run calls in parallel; an adapter that cannot (one FTP control connection runs one
// command at a time) queues or pools them. Every call settles (resolves or rejects) within the adapter's
// timeouts, also when the connection is cut, and a stream returned by `read` errors instead of hanging.
import type { Readable } from 'node:stream';

/** One listed entry. `mtimeMs` is as precise as `capabilities.mtimePrecisionMs` says. */
export interface FileEntry {
  /** Absolute POSIX path within the adapter's root. */
  path: string;
  /** The last path segment. */
  name: string;
  type: 'file' | 'directory' | 'other';
  size: number;
  mtimeMs: number;
}

export interface FileSystemCapabilities {
  /** `rename` replaces an existing target in one step, so a reader sees the old or the new file, never none. */
  atomicRename: boolean;
  /** `write(path, { append: true })` adds to the end of an existing file. */
  append: boolean;
  /** `read(path, offset > 0)` starts mid-file (REST+RETR, SFTP offset, fs position) instead of failing. */
  readFromOffset: boolean;
  /** Names of checksums `checksum()` can get from the server without downloading ('md5', 'sha256' …). */
  checksums: readonly string[];
  /** Smallest step of `mtimeMs` the protocol reports: 1 for local files, 1000 for MLSD, 60000 for LIST. */
  mtimePrecisionMs: number;
}

export interface WriteOptions {
  /** Add to the end of an existing file (only when `capabilities.append`). */
  append?: boolean;
}

export interface RenameOptions {
  /**
   * What to do when `to` exists: `replace` it (one step where `atomicRename`, else delete-then-rename), or
   * `fail` with FS_ERROR.exists. Default `fail`, so a rename never drops a file unless the caller said so.
   */
  ifExists?: 'replace' | 'fail';
}

export interface FileSystem {
  readonly capabilities: FileSystemCapabilities;
  /** Entries directly inside `dir` (not recursive; the shared source walks folders itself). */
  list(dir: string): Promise<FileEntry[]>;
  /** The entry at `path`, or `undefined` when nothing is there (absence is not an error here). */
  stat(path: string): Promise<FileEntry | undefined>;
  /** The file's bytes from `offset` (default 0) to its end. The stream errors with a SluiceError on failure. */
  read(path: string, offset?: number): Promise<Readable>;
  /**
   * Writes `data` to `path` (created or truncated, or appended with `append`); resolves once the server has
   * the whole file (closed, flushed, the transfer acknowledged). Parent folders must exist (see `mkdir`).
   */
  write(path: string, data: Readable, options?: WriteOptions): Promise<void>;
  rename(from: string, to: string, options?: RenameOptions): Promise<void>;
  /** Deletes a file. A file already gone is not an error (deletes are repeated after a crash). */
  delete(path: string): Promise<void>;
  /** Creates `path` and its missing parents; an existing folder is not an error. */
  mkdir(path: string): Promise<void>;
  /** Server-side checksum (hex), when `capabilities.checksums` has `algorithm`. */
  checksum?(path: string, algorithm: string): Promise<string>;
  /** Releases connections; later calls reject. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * The codes adapters throw, with the kind each must carry:
 * - notFound (fatal at the caller's discretion: the source skips a file gone since the listing) — errno ENOENT,
 *   FTP 550 on a missing path, SSH_FX_NO_SUCH_FILE. Kind `record`: about this one file.
 * - exists — the target of a rename with `ifExists: 'fail'`, or mkdir over a file. Kind `record`.
 * - permission — EACCES/EPERM, FTP 550/553 permission denied, SSH_FX_PERMISSION_DENIED. Kind `record` for one
 *   file (the source sends it to the failed folder); the caller may escalate when the root itself is refused.
 * - fileError — any other per-file 5xx refusal (FTP 5xx on one file). Kind `record`.
 * - auth — login refused (FTP 530, SSH auth failure), unknown host key, certificate not trusted. Kind `fatal`.
 * - unsupported — the protocol cannot do what was asked (append on SCP). Kind `fatal`.
 * - unavailable — the connection failed, was cut or timed out, a 4xx reply, disk full. Kind `retryable`.
 * - closed — a call after `close()`. Kind `fatal`.
 */
export const FS_ERROR = {
  notFound: 'E_FS_NOT_FOUND',
  exists: 'E_FS_EXISTS',
  permission: 'E_FS_PERMISSION',
  fileError: 'E_FS_FILE',
  auth: 'E_FS_AUTH',
  unsupported: 'E_FS_UNSUPPORTED',
  unavailable: 'E_FS_UNAVAILABLE',
  closed: 'E_FS_CLOSED',
} as const;

export type FsErrorCode = (typeof FS_ERROR)[keyof typeof FS_ERROR];

/** True when `err` is a contract error with `code`, whatever its class (errors may have crossed a process). */
export function isFsError(err: unknown, code: FsErrorCode): boolean {
  return err !== null && typeof err === 'object' && (err as { code?: unknown }).code === code;
}
