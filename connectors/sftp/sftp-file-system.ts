// The file-system contract over SFTP (connectors/filesystem/file-system.ts). Paths are mapped under `root` on
// the server (default: the login folder). Transfers are pipelined (sftp-streams.ts) and guarded by the session
// deadline; uploads are verified by size and, where the server can compute it, sha256.
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Attributes, SFTPWrapper } from 'ssh2';
import { FatalError, RecordError, type SluiceError } from '../../core/errors.js';
import type { Logger } from '../../core/plugin.js';
import {
  type FileEntry,
  type FileSystem,
  type FileSystemCapabilities,
  FS_ERROR,
  type RenameOptions,
  type WriteOptions,
} from '../filesystem/file-system.js';
import { baseName, joinPath, parentPath, rootedPath } from '../filesystem/fs-path.js';
import { classifySshError, isNoSuchFile } from './classify-error.js';
import { REMOTE_CHECKSUMS, remoteChecksum } from './remote-command.js';
import type { SessionPool } from './session-pool.js';
import { SftpReadStream, SftpWriteStream } from './sftp-streams.js';
import { UploadChecker, UploadDigest } from './upload-check.js';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

export interface RemoteFileSystemOptions {
  /** Folder on the server that contract paths live under; `.` is the login folder. */
  root: string;
  /** Compare a server-side sha256 after each upload (size is always compared). */
  verifyChecksum: boolean;
  logger: Logger;
}

/** Maps contract paths (`/in/a.csv`) to server paths under the root. */
export function remotePathUnder(root: string, path: string): string {
  return posix.join(root, rootedPath(path));
}

function entryType(mode: number): FileEntry['type'] {
  const type = mode & S_IFMT;
  if (type === S_IFDIR) return 'directory';
  if (type === S_IFREG) return 'file';
  return 'other';
}

function toEntry(path: string, attrs: Attributes): FileEntry {
  return { path, name: baseName(path), type: entryType(attrs.mode), size: attrs.size, mtimeMs: attrs.mtime * 1000 };
}

export class SftpFileSystem implements FileSystem {
  readonly capabilities: FileSystemCapabilities = {
    atomicRename: true,
    append: true,
    readFromOffset: true,
    checksums: REMOTE_CHECKSUMS,
    mtimePrecisionMs: 1000,
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

  private remote(path: string): string {
    return remotePathUnder(this.options.root, path);
  }

  /** Runs one SFTP request on a pooled connection. */
  private sftpCall<T>(what: string, run: (sftp: SFTPWrapper, done: (err: unknown, value?: T) => void) => void) {
    this.assertOpen();
    return this.pool.use(async (session) => {
      const sftp = await session.sftp();
      return session.request<T>(what, (done) => run(sftp, done));
    });
  }

  private assertOpen(): void {
    if (this.isClosed) throw new FatalError(`${this.where}: the connector is closed`, { code: FS_ERROR.closed });
  }

  /** The login folder, where relative paths in the config start. */
  home(): Promise<string> {
    return this.sftpCall<string>('finding the login folder', (sftp, done) =>
      sftp.realpath('.', (err, p) => done(err, p)),
    );
  }

  async list(dir: string): Promise<FileEntry[]> {
    const remoteDir = this.remote(dir);
    const items = await this.sftpCall<Array<{ filename: string; attrs: Attributes }>>(
      `listing ${remoteDir}`,
      (sftp, done) => sftp.readdir(remoteDir, (err, list) => done(err, list)),
    );
    return items
      .filter((i) => i.filename !== '.' && i.filename !== '..')
      .map((i) => toEntry(joinPath(dir, i.filename), i.attrs));
  }

  async stat(path: string): Promise<FileEntry | undefined> {
    const remotePath = this.remote(path);
    try {
      const attrs = await this.sftpCall<Attributes>(`stat of ${remotePath}`, (sftp, done) =>
        sftp.stat(remotePath, (err, a) => done(err, a)),
      );
      return toEntry(rootedPath(path), attrs);
    } catch (err) {
      if (isNoSuchFile(err)) return undefined;
      throw err;
    }
  }

  async read(path: string, offset = 0): Promise<Readable> {
    this.assertOpen();
    const remotePath = this.remote(path);
    const lease = await this.pool.acquire();
    try {
      const { session } = lease;
      const sftp = await session.sftp();
      const handle = await session.request<Buffer>(`opening ${remotePath}`, (done) =>
        sftp.open(remotePath, 'r', (err, h) => done(err, h)),
      );
      const attrs = await session.request<Attributes>(`stat of ${remotePath}`, (done) =>
        sftp.fstat(handle, (err, a) => done(err, a)),
      );
      const stream = new SftpReadStream(sftp, handle, offset, attrs.size, (err) =>
        classifySshError(err, `${this.where}, reading ${remotePath}`),
      );
      session.guardTransfer(stream, `reading ${remotePath}`, () => stream.bytesRead);
      stream.once('close', () => lease.release());
      return stream;
    } catch (err) {
      lease.release();
      throw err;
    }
  }

  async write(path: string, data: Readable, options: WriteOptions = {}): Promise<void> {
    this.assertOpen();
    const remotePath = this.remote(path);
    const digest = new UploadDigest();
    let startSize = 0;
    await this.pool.use(async (session) => {
      const sftp = await session.sftp();
      const flags = options.append ? 'a' : 'w';
      const handle = await session.request<Buffer>(`opening ${remotePath} for writing`, (done) =>
        sftp.open(remotePath, flags, (err, h) => done(err, h)),
      );
      if (options.append) {
        const attrs = await session.request<Attributes>(`stat of ${remotePath}`, (done) =>
          sftp.fstat(handle, (err, a) => done(err, a)),
        );
        startSize = attrs.size;
      }
      const out = new SftpWriteStream(sftp, handle, startSize);
      session.guardTransfer(out, `writing ${remotePath}`, () => out.bytesWritten);
      try {
        await pipeline(data, digest, out);
      } catch (err) {
        throw classifySshError(err, `${this.where}, writing ${remotePath}`);
      }
    });
    const written = await this.stat(path);
    await this.checker.verify(digest, {
      where: this.where,
      remotePath,
      remoteSize: written === undefined ? undefined : written.size - startSize,
      remoteSha256: () =>
        options.append
          ? Promise.reject(new FatalError('appended file', { code: FS_ERROR.unsupported }))
          : this.pool.use((session) => remoteChecksum(session, remotePath, 'sha256')),
    });
  }

  async rename(from: string, to: string, options: RenameOptions = {}): Promise<void> {
    const source = this.remote(from);
    const target = this.remote(to);
    const what = `renaming ${source} to ${target}`;
    if (options.ifExists === 'replace') {
      await this.sftpCall<void>(what, (sftp, done) => sftp.ext_openssh_rename(source, target, (err) => done(err)));
      return;
    }
    try {
      await this.sftpCall<void>(what, (sftp, done) => sftp.rename(source, target, (err) => done(err)));
    } catch (err) {
      // SFTP v3 answers a rename onto an existing name with a bare FAILURE: look before calling it "exists".
      if ((err as SluiceError).code === FS_ERROR.fileError && (await this.stat(to)) !== undefined) {
        throw new RecordError(`${this.where}: cannot rename ${source}: ${target} exists`, { code: FS_ERROR.exists });
      }
      throw err;
    }
  }

  async delete(path: string): Promise<void> {
    const remotePath = this.remote(path);
    try {
      await this.sftpCall<void>(`deleting ${remotePath}`, (sftp, done) => sftp.unlink(remotePath, (err) => done(err)));
    } catch (err) {
      if (!isNoSuchFile(err)) throw err;
    }
  }

  async mkdir(path: string): Promise<void> {
    const rooted = rootedPath(path);
    if (rooted === '/') return;
    const existing = await this.stat(rooted);
    if (existing?.type === 'directory') return;
    if (existing) {
      throw new RecordError(`${this.where}: cannot create folder ${this.remote(rooted)}: a file has that name`, {
        code: FS_ERROR.exists,
      });
    }
    await this.mkdir(parentPath(rooted));
    const remotePath = this.remote(rooted);
    try {
      await this.sftpCall<void>(`creating folder ${remotePath}`, (sftp, done) =>
        sftp.mkdir(remotePath, (err) => done(err)),
      );
    } catch (err) {
      // Another writer may have created it meanwhile.
      if ((await this.stat(rooted))?.type !== 'directory') throw err;
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
