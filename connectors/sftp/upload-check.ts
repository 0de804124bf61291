// Verifying an upload: the bytes sent are counted and hashed on their way out, then compared with the size the
// server reports and, where the server can compute one, its sha256 (over an exec channel). A mismatch is
// retryable: the write is repeated. A server that cannot run the checksum (SFTP-only accounts) is verified by
// size alone, and that is said once in the log.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { errorKind, RetryableError } from '../../core/errors.js';
import type { Logger } from '../../core/plugin.js';
import { FS_ERROR, isFsError } from '../filesystem/file-system.js';

/** Passes bytes through, counting and hashing them. */
export class UploadDigest extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  sha256(): string {
    return this.hash.digest('hex');
  }
}

export interface UploadFacts {
  readonly where: string;
  readonly remotePath: string;
  /** Size the server reports for the written file. */
  readonly remoteSize: number | undefined;
  /** Asks the server for the file's sha256. */
  readonly remoteSha256: () => Promise<string>;
}

export class UploadChecker {
  private canChecksum: boolean;

  constructor(
    isChecksumWanted: boolean,
    private readonly logger: Logger,
  ) {
    this.canChecksum = isChecksumWanted;
  }

  async verify(digest: UploadDigest, facts: UploadFacts): Promise<void> {
    if (facts.remoteSize !== digest.bytes) {
      throw new RetryableError(
        `${facts.where}: upload of ${facts.remotePath} is incomplete: sent ${digest.bytes} bytes, the server has ` +
          `${facts.remoteSize ?? 'no file'}; writing it again`,
        { code: FS_ERROR.unavailable },
      );
    }
    if (!this.canChecksum) return;
    let remote: string;
    try {
      remote = await facts.remoteSha256();
    } catch (err) {
      if (errorKind(err) === 'retryable' || !isFsError(err, FS_ERROR.unsupported)) throw err;
      this.canChecksum = false;
      this.logger.warn(
        `${facts.where}: the server cannot compute sha256 (${(err as Error).message}); uploads are verified by size only`,
      );
      return;
    }
    const local = digest.sha256();
    if (remote !== local) {
      throw new RetryableError(
        `${facts.where}: upload of ${facts.remotePath} is corrupt: sha256 sent ${local}, the server has ${remote}; ` +
          'writing it again',
        { code: FS_ERROR.unavailable },
      );
    }
  }
}
