// The file-system contract (connectors/filesystem/file-system.ts) over FTP and FTPS with basic-ftp. Reads
// resume with REST+RETR; writes are STOR (or APPE); rename is RNFR/RNTO, which most servers do not promise to
// do over an existing file, so `replace` deletes the target first (not atomic: capabilities say so).
import { PassThrough, type Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Client, FileInfo } from 'basic-ftp';
import { FatalError, RecordError } from '../../core/errors.js';
import type { Logger } from '../../core/plugin.js';
import {
  type FileEntry,
  type FileSystem,
  FS_ERROR,
  isFsError,
  type RenameOptions,
  type WriteOptions,
} from '../filesystem/file-system.js';
import { baseName, joinPath, parentPath, rootedPath } from '../filesystem/fs-path.js';
import type { FtpConnectionConfig } from './connection.js';
import { ftpError } from './ftp-error.js';
import { FtpPool } from './ftp-pool.js';
import { tlsUploadSource } from './tls-upload.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

export class FtpFileSystem implements FileSystem {
  readonly capabilities = {
    atomicRename: false,
    append: true,
    readFromOffset: true,
    checksums: [],
    // LIST gives minutes at best: the source then judges stability by unchanged listings, not by age.
    mtimePrecisionMs: 60_000,
  } as const;
  private readonly pool: FtpPool;
  private readonly where: string;
  private readonly isTls: boolean;
  private readonly timeoutMs: number;

  constructor(connection: FtpConnectionConfig, logger: Logger, ca?: Buffer) {
    this.isTls = connection.tls.mode !== 'none';
    this.timeoutMs = connection.timeoutMs;
    this.where = `ftp ${connection.host}:${connection.port ?? (connection.tls.mode === 'implicit' ? 990 : 21)}`;
    this.pool = new FtpPool({ connection, ca, logger, where: this.where });
  }

  private async call<T>(doing: string, fn: (client: Client) => Promise<T>): Promise<T> {
    try {
      return await this.pool.use(fn);
    } catch (err) {
      throw ftpError(err, `${this.where}: ${doing}`);
    }
  }

  async list(dir: string): Promise<FileEntry[]> {
    const path = rootedPath(dir);
    return this.call(`cannot list the folder "${path}"`, async (client) => {
      const infos = await client.list(path);
      // Some servers (vsftpd) list a missing folder as empty: ask for it to tell the two apart.
      if (infos.length === 0) {
        await client.cd(path);
        await client.cd('/');
      }
      return infos.filter((i) => i.name !== '.' && i.name !== '..').map((i) => entryOf(joinPath(path, i.name), i));
    });
  }

  async stat(path: string): Promise<FileEntry | undefined> {
    const p = rootedPath(path);
    if (p === '/') return { path: p, name: '', type: 'directory', size: 0, mtimeMs: 0 };
    const listed = await this.list(parentPath(p)).catch((err) => {
      if (isFsError(err, FS_ERROR.notFound)) return [];
      throw err;
    });
    return listed.find((e) => e.path === p);
  }

  async read(path: string, offset = 0): Promise<Readable> {
    const p = rootedPath(path);
    const doing = `cannot read "${p}"`;
    let client: Client;
    try {
      client = await this.pool.acquire();
    } catch (err) {
      throw ftpError(err, `${this.where}: ${doing}`);
    }
    // SIZE first, so that a missing file rejects this call rather than the stream later.
    try {
      await client.size(p);
    } catch (err) {
      this.pool.release(client, typeof (err as { code?: unknown }).code !== 'number');
      throw ftpError(err, `${this.where}: ${doing}`);
    }
    const out = new PassThrough({ highWaterMark: 256 * 1024 });
    let isFinished = false;
    // Destroying the stream before the end aborts the transfer: FTP has no cheap way to stop a RETR, so the
    // connection is closed instead of handed back mid-transfer.
    out.on('close', () => {
      if (!isFinished) client.close();
    });
    client.downloadTo(out, p, offset).then(
      () => {
        isFinished = true;
        this.pool.release(client);
      },
      (err) => {
        isFinished = true;
        this.pool.release(client, true);
        if (!out.destroyed) out.destroy(ftpError(err, `${this.where}: ${doing}`));
      },
    );
    return out;
  }

  async write(path: string, data: Readable, options: WriteOptions = {}): Promise<void> {
    const p = rootedPath(path);
    await this.call(`cannot write "${p}"`, (client) => {
      const source = this.isTls
        ? tlsUploadSource(data, () => client.ftp.dataSocket as TLSSocket | undefined, this.timeoutMs)
        : data;
      return options.append ? client.appendFrom(source, p) : client.uploadFrom(source, p);
    });
  }

  async rename(from: string, to: string, options: RenameOptions = {}): Promise<void> {
    const source = rootedPath(from);
    const target = rootedPath(to);
    const existing = await this.stat(target);
    if (existing !== undefined) {
      if ((options.ifExists ?? 'fail') === 'fail') {
        throw new RecordError(`${this.where}: cannot rename "${source}": "${target}" exists already`, {
          code: FS_ERROR.exists,
        });
      }
      await this.delete(target);
    }
    await this.call(`cannot rename "${source}" to "${target}"`, (client) => client.rename(source, target));
  }

  async delete(path: string): Promise<void> {
    const p = rootedPath(path);
    try {
      await this.call(`cannot delete "${p}"`, (client) => client.remove(p));
    } catch (err) {
      if (isFsError(err, FS_ERROR.notFound) || (await this.stat(p)) === undefined) return;
      throw err;
    }
  }

  async mkdir(path: string): Promise<void> {
    const p = rootedPath(path);
    await this.call(`cannot create the folder "${p}"`, async (client) => {
      let at = '';
      for (const part of p.split('/').filter((s) => s !== '')) {
        at = `${at}/${part}`;
        const reply = await client.sendIgnoringError(`MKD ${await client.protectWhitespace(at)}`);
        // 257 created; 550/521 exists already (or refused: the next level, or the caller's write, says so).
        if (reply.code >= 400 && reply.code < 500) throw Object.assign(new Error(reply.message), { code: reply.code });
      }
      const folder = await client.list(parentPath(p));
      const made = folder.find((i) => i.name === baseName(p));
      if (p !== '/' && (made === undefined || !made.isDirectory)) {
        throw new FatalError(`the folder "${p}" could not be created (is a file in the way, or is it refused?)`, {
          code: FS_ERROR.permission,
        });
      }
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function entryOf(path: string, info: FileInfo): FileEntry {
  const type = info.isDirectory ? 'directory' : info.isFile ? 'file' : 'other';
  const mtimeMs = info.modifiedAt?.getTime() ?? listTime(info.rawModifiedAt);
  return { path, name: baseName(path), type, size: info.size, mtimeMs };
}

// A Unix LIST time: "Dec 06 22:30" (this year, or last year when that would be in the future) or "Dec 06 2025".
// Servers give UTC unless set otherwise; the precision is a minute at best, which the capabilities say.
function listTime(raw: string): number {
  const m = /^(\w{3})\s+(\d{1,2})\s+(?:(\d{1,2}):(\d{2})|(\d{4}))$/.exec(raw.trim());
  if (!m) return 0;
  const month = MONTHS.indexOf((m[1] as string).toLowerCase());
  const day = Number(m[2]);
  if (m[5] !== undefined) return Date.UTC(Number(m[5]), month, day);
  const now = new Date();
  const t = Date.UTC(now.getUTCFullYear(), month, day, Number(m[3]), Number(m[4]));
  return t > now.getTime() + 86_400_000
    ? Date.UTC(now.getUTCFullYear() - 1, month, day, Number(m[3]), Number(m[4]))
    : t;
}
