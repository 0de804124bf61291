// The file-system contract (connectors/filesystem/file-system.ts) on the local disk: paths are POSIX paths
// under a root folder, so the shared file source and sink treat a folder exactly like a remote server.
import { lstat, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FatalError, RecordError, RetryableError, type SluiceError } from '../../core/errors.js';
import {
  type FileEntry,
  type FileSystem,
  FS_ERROR,
  type RenameOptions,
  type WriteOptions,
} from '../filesystem/file-system.js';
import { baseName, joinPath, rootedPath } from '../filesystem/fs-path.js';

export class LocalFileSystem implements FileSystem {
  readonly capabilities = {
    atomicRename: true,
    append: true,
    readFromOffset: true,
    checksums: [],
    mtimePrecisionMs: 1,
  } as const;
  private isClosed = false;

  /** `root` is an absolute local folder; contract paths are relative to it. */
  constructor(private readonly root: string) {}

  private local(path: string): string {
    if (this.isClosed)
      throw new FatalError(`local files: ${path}: the file system is closed`, { code: FS_ERROR.closed });
    return join(this.root, rootedPath(path));
  }

  async list(dir: string): Promise<FileEntry[]> {
    const folder = this.local(dir);
    try {
      const names = await readdir(folder);
      const entries = await Promise.all(names.map((name) => this.stat(joinPath(dir, name))));
      return entries.filter((e): e is FileEntry => e !== undefined);
    } catch (err) {
      throw localError(err, `cannot list the folder "${folder}"`);
    }
  }

  async stat(path: string): Promise<FileEntry | undefined> {
    const local = this.local(path);
    try {
      const s = await stat(local).catch(async (err) => {
        // A broken symbolic link: listed as "other", not an error.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return lstat(local);
        throw err;
      });
      const type = s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other';
      const p = rootedPath(path);
      return { path: p, name: baseName(p), type, size: s.size, mtimeMs: s.mtimeMs };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw localError(err, `cannot look at "${local}"`);
    }
  }

  async read(path: string, offset = 0): Promise<Readable> {
    const local = this.local(path);
    // Opened here so that a missing file rejects this call, not the stream's first read.
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(local, 'r');
    } catch (err) {
      throw localError(err, `cannot read "${local}"`);
    }
    return handle.createReadStream({ start: offset, highWaterMark: 256 * 1024 });
  }

  async write(path: string, data: Readable, options: WriteOptions = {}): Promise<void> {
    const local = this.local(path);
    try {
      const handle = await open(local, options.append ? 'a' : 'w');
      try {
        for await (const chunk of data) await handle.write(chunk as Buffer);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (err) {
      throw localError(err, `cannot write "${local}"`);
    }
  }

  async rename(from: string, to: string, options: RenameOptions = {}): Promise<void> {
    const source = this.local(from);
    const target = this.local(to);
    if ((options.ifExists ?? 'fail') === 'fail' && (await this.stat(to)) !== undefined) {
      throw new RecordError(`local files: cannot rename "${source}": "${target}" exists already`, {
        code: FS_ERROR.exists,
      });
    }
    try {
      await rename(source, target);
      await syncFolder(join(target, '..'));
    } catch (err) {
      throw localError(err, `cannot rename "${source}" to "${target}"`);
    }
  }

  async delete(path: string): Promise<void> {
    const local = this.local(path);
    try {
      await unlink(local);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw localError(err, `cannot delete "${local}"`);
    }
  }

  async mkdir(path: string): Promise<void> {
    const local = this.local(path);
    try {
      await mkdir(local, { recursive: true });
    } catch (err) {
      throw localError(err, `cannot create the folder "${local}"`);
    }
  }

  async close(): Promise<void> {
    this.isClosed = true;
  }
}

// The rename is on disk only once the folder is: without this a power cut could undo an acknowledged write.
export async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** errno codes into the contract's codes and kinds. */
export function localError(err: unknown, doing: string): SluiceError {
  const errno = (err as NodeJS.ErrnoException)?.code;
  const options = { cause: err, details: { errno } };
  const message = `local files: ${doing}`;
  switch (errno) {
    case 'ENOENT':
      return new RecordError(`${message}: no such file or folder (${errno}); create it or fix the path`, {
        ...options,
        code: FS_ERROR.notFound,
      });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new RecordError(`${message}: permission denied (${errno}); give Sluice's user access or change the path`, {
        ...options,
        code: FS_ERROR.permission,
      });
    case 'EEXIST':
    case 'ENOTDIR':
    case 'EISDIR':
      return new RecordError(`${message}: a file is where a folder should be, or the reverse (${errno})`, {
        ...options,
        code: FS_ERROR.exists,
      });
    default:
      return new RetryableError(`${message}: ${(err as Error)?.message ?? String(err)}`, {
        ...options,
        code: FS_ERROR.unavailable,
      });
  }
}
