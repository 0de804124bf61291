// The file-system contract for servers that offer only SCP: transfers use the legacy SCP protocol
// (scp-transfer.ts), everything else runs as shell commands on an exec channel (GNU find for listings, mv,
// rm, mkdir, sha256sum), every remote name shell-quoted. SCP needs a file's size before sending it, so an
// upload is spooled to a local temporary file first: memory stays bounded whatever the size.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FatalError, RecordError } from '../../core/errors.js';
import {
  type FileEntry,
  type FileSystem,
  type FileSystemCapabilities,
  FS_ERROR,
  isFsError,
  type RenameOptions,
  type WriteOptions,
} from '../filesystem/file-system.js';
import { joinPath, rootedPath } from '../filesystem/fs-path.js';
import { classifySshError } from './classify-error.js';
import { commandError, REMOTE_CHECKSUMS, remoteChecksum, runCommand } from './remote-command.js';
import { scpDownload, scpUpload } from './scp-transfer.js';
import type { SessionPool } from './session-pool.js';
import { type RemoteFileSystemOptions, remotePathUnder } from './sftp-file-system.js';
import { shellQuote } from './shell-quote.js';
import { UploadChecker, UploadDigest } from './upload-check.js';

/** `find -printf` fields: type, size, mtime in seconds with a fraction, name; NUL-ended (names may hold newlines). */
const FIND_FORMAT = shellQuote('%y %s %T@ %P\\0');
const EXIT_EXISTS = 3;

/** Parses `find -printf '%y %s %T@ %P\0'` output into entries of `dir`. */
export function parseFindListing(output: Buffer, dir: string): FileEntry[] {
  const entries: FileEntry[] = [];
  for (const record of output.toString('utf8').split('\0')) {
    const m = /^(\S) (\d+) (\d+(?:\.\d+)?) ([\s\S]*)$/.exec(record);
    if (!m) continue;
    const [, kind, size, mtime, name] = m;
    const path = name === '' ? rootedPath(dir) : joinPath(dir, name);
    entries.push({
      path,
      name: posix.basename(path),
      type: kind === 'f' ? 'file' : kind === 'd' ? 'directory' : 'other',
      size: Number(size),
      mtimeMs: Math.floor(Number(mtime) * 1000),
    });
  }
  return entries;
}

export class ScpFileSystem implements FileSystem {
  readonly capabilities: FileSystemCapabilities = {
    atomicRename: true,
    append: false,
    readFromOffset: true,
    checksums: REMOTE_CHECKSUMS,
    mtimePrecisionMs: 1,
  };
  private readonly checker: UploadChecker;
  private isClosed = false;

  constructor(
    private readonly pool: SessionPool,
    private readonly options: RemoteFileSystemOptions,
  ) {
    this.checker = new UploadChecker(options.verifyChecksum, options.logger);
  }

  private get where(): string {
    return this.pool.settings.where;
  }

  /** Server path for a contract path; a relative one gets `./` so a name never reads as a command option. */
  private remote(path: string): string {
    const p = remotePathUnder(this.options.root, path);
    return p.startsWith('/') ? p : `./${p}`;
  }

  private assertOpen(): void {
    if (this.isClosed) throw new FatalError(`${this.where}: the connector is closed`, { code: FS_ERROR.closed });
  }

  /** Runs a shell command; a non-zero exit becomes the matching contract error. */
  private async command(command: string, what: string, allowedExit: number[] = [0]) {
    this.assertOpen();
    const result = await this.pool.use((session) => runCommand(session, command, what));
    if (result.exitCode === undefined || !allowedExit.includes(result.exitCode)) {
      throw commandError(result, this.where, what);
    }
    return result;
  }

  /** The login folder, where relative paths in the config start. */
  async home(): Promise<string> {
    const result = await this.command('pwd', 'finding the login folder');
    return result.stdout.toString('utf8').trim();
  }

  async list(dir: string): Promise<FileEntry[]> {
    const remoteDir = this.remote(dir);
    const result = await this.command(
      `find ${shellQuote(remoteDir)} -mindepth 1 -maxdepth 1 -printf ${FIND_FORMAT}`,
      `listing ${remoteDir}`,
    );
    return parseFindListing(result.stdout, dir);
  }

  async stat(path: string): Promise<FileEntry | undefined> {
    const remotePath = this.remote(path);
    try {
      const result = await this.command(
        `find ${shellQuote(remotePath)} -maxdepth 0 -printf ${FIND_FORMAT}`,
        `stat of ${remotePath}`,
      );
      const [entry] = parseFindListing(result.stdout, path);
      return entry === undefined
        ? undefined
        : { ...entry, path: rootedPath(path), name: posix.basename(rootedPath(path)) };
    } catch (err) {
      if (isFsError(err, FS_ERROR.notFound)) return undefined;
      throw err;
    }
  }

  async read(path: string, offset = 0): Promise<Readable> {
    this.assertOpen();
    const remotePath = this.remote(path);
    const lease = await this.pool.acquire();
    try {
      const { stream } = await scpDownload(lease.session, remotePath, offset);
      stream.once('close', () => lease.release());
      return stream;
    } catch (err) {
      lease.release();
      throw classifySshError(err, `${this.where}, downloading ${remotePath}`);
    }
  }

  async write(path: string, data: Readable, options: WriteOptions = {}): Promise<void> {
    this.assertOpen();
    const remotePath = this.remote(path);
    if (options.append) {
      throw new FatalError(`${this.where}: SCP cannot append to ${remotePath}; write whole files`, {
        code: FS_ERROR.unsupported,
      });
    }
    const spool = join(tmpdir(), `sluice-scp-${randomUUID()}`);
    const digest = new UploadDigest();
    try {
      await pipeline(data, digest, createWriteStream(spool));
      await this.pool.use((session) => scpUpload(session, remotePath, spool, digest.bytes));
    } catch (err) {
      throw classifySshError(err, `${this.where}, uploading ${remotePath}`);
    } finally {
      await rm(spool, { force: true });
    }
    const written = await this.stat(path);
    await this.checker.verify(digest, {
      where: this.where,
      remotePath,
      remoteSize: written?.size,
      remoteSha256: () => this.checksum(path, 'sha256'),
    });
  }

  async rename(from: string, to: string, options: RenameOptions = {}): Promise<void> {
    const source = shellQuote(this.remote(from));
    const target = shellQuote(this.remote(to));
    const what = `renaming ${this.remote(from)} to ${this.remote(to)}`;
    if (options.ifExists === 'replace') {
      await this.command(`mv -f -- ${source} ${target}`, what);
      return;
    }
    const result = await this.command(
      `if [ -e ${target} ] || [ -L ${target} ]; then exit ${EXIT_EXISTS}; fi; mv -- ${source} ${target}`,
      what,
      [0, EXIT_EXISTS],
    );
    if (result.exitCode === EXIT_EXISTS) {
      throw new RecordError(`${this.where}: cannot rename ${this.remote(from)}: ${this.remote(to)} exists`, {
        code: FS_ERROR.exists,
      });
    }
  }

  async delete(path: string): Promise<void> {
    await this.command(`rm -f -- ${shellQuote(this.remote(path))}`, `deleting ${this.remote(path)}`);
  }

  async mkdir(path: string): Promise<void> {
    const remotePath = this.remote(path);
    try {
      await this.command(`mkdir -p -- ${shellQuote(remotePath)}`, `creating folder ${remotePath}`);
    } catch (err) {
      if (isFsError(err, FS_ERROR.fileError) && (await this.stat(path))?.type !== 'directory') {
        throw new RecordError(`${this.where}: cannot create folder ${remotePath}: a file has that name`, {
          code: FS_ERROR.exists,
        });
      }
      throw err;
    }
  }

  checksum(path: string, algorithm: string): Promise<string> {
    this.assertOpen();
    return this.pool.use((session) => remoteChecksum(session, this.remote(path), algorithm));
  }

  async close(): Promise<void> {
    this.isClosed = true;
    await this.pool.close();
  }
}
