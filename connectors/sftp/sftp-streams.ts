// Pipelined SFTP transfers. ssh2's own streams keep one request in flight, so each chunk waits a full round
// trip; OpenSSH's `sftp` keeps many in flight, and so do these: reads are issued ahead at increasing offsets and
// pushed in order, writes are acknowledged to the producer while up to `depth` are in flight. Memory stays
// bounded by depth × chunk.
import { Readable, Writable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';

/** SFTP status 1 (EOF): a read at or past the end of the file. */
const STATUS_EOF = 1;
const DEFAULT_DEPTH = 16;
const DEFAULT_CHUNK = 64 * 1024;

interface PendingRead {
  offset: number;
  length: number;
  done: Promise<Buffer>;
}

export class SftpReadStream extends Readable {
  private readonly pending: PendingRead[] = [];
  private nextOffset: number;
  private isAtEnd = false;
  private isPushing = false;
  /** A `_read` came while the pump was running: the pump may already have decided to stop, so it runs again. */
  private isReadWanted = false;
  private isFinished = false;
  bytesRead = 0;

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly handle: Buffer,
    private readonly start: number,
    /** The file's size when it was opened: ending short of it means the transfer was cut, not the file. */
    private readonly expectedSize: number,
    /** Turns a library error into the error the reader sees (classified at the connector's edge). */
    private readonly toError: (err: unknown) => Error,
    private readonly depth = DEFAULT_DEPTH,
    private readonly chunk = DEFAULT_CHUNK,
  ) {
    super({ highWaterMark: chunk * 4 });
    this.nextOffset = start;
  }

  private issue(): void {
    while (!this.isAtEnd && this.pending.length < this.depth) {
      const offset = this.nextOffset;
      const length = this.chunk;
      this.nextOffset += length;
      const done = new Promise<Buffer>((resolve, reject) => {
        const buf = Buffer.allocUnsafe(length);
        this.sftp.read(this.handle, buf, 0, length, offset, (err, bytes) => {
          if (err && (err as { code?: unknown }).code !== STATUS_EOF) reject(err);
          else resolve(buf.subarray(0, err ? 0 : bytes));
        });
      });
      done.catch(() => {});
      this.pending.push({ offset, length, done });
    }
  }

  override _read(): void {
    if (this.isPushing) {
      this.isReadWanted = true;
      return;
    }
    this.isPushing = true;
    this.pump().finally(() => {
      this.isPushing = false;
      if (this.isReadWanted && !this.isFinished && !this.destroyed) this._read();
    });
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        this.issue();
        const head = this.pending.shift();
        if (!head) {
          const reached = this.start + this.bytesRead;
          if (reached < this.expectedSize) {
            throw new Error(`the file ended at byte ${reached} of the ${this.expectedSize} it had when opened`);
          }
          this.isFinished = true;
          this.push(null);
          return;
        }
        const data = await head.done;
        if (data.length === 0) {
          this.isAtEnd = true;
          this.pending.length = 0;
          continue;
        }
        if (data.length < head.length) {
          // A short read: the requests issued after it assumed a full chunk. Re-issue from where it stopped.
          this.pending.length = 0;
          this.nextOffset = head.offset + data.length;
        }
        this.bytesRead += data.length;
        this.isReadWanted = false;
        if (!this.push(data)) return;
      }
    } catch (err) {
      this.destroy(this.toError(err));
    }
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.isAtEnd = true;
    closeQuietly(this.sftp, this.handle, () => callback(err));
  }
}

export class SftpWriteStream extends Writable {
  private position: number;
  private inFlight = 0;
  private failure: Error | undefined;
  private wakeWriter: (() => void) | undefined;
  bytesWritten = 0;

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly handle: Buffer,
    start: number,
    private readonly depth = DEFAULT_DEPTH,
  ) {
    super({ highWaterMark: DEFAULT_CHUNK * 4 });
    this.position = start;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.failure) {
      callback(this.failure);
      return;
    }
    const offset = this.position;
    this.position += chunk.length;
    this.inFlight += 1;
    this.sftp.write(this.handle, chunk, 0, chunk.length, offset, (err) => {
      this.inFlight -= 1;
      if (err) this.failure ??= err;
      else this.bytesWritten += chunk.length;
      const wake = this.wakeWriter;
      this.wakeWriter = undefined;
      wake?.();
    });
    if (this.inFlight < this.depth) callback();
    else this.wakeWriter = () => callback(this.failure);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const finish = () => {
      if (this.inFlight > 0) {
        this.wakeWriter = finish;
        return;
      }
      if (this.failure) {
        callback(this.failure);
        return;
      }
      this.sftp.close(this.handle, (err) => callback(err ?? null));
    };
    finish();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    if (err === null) {
      callback(null);
      return;
    }
    closeQuietly(this.sftp, this.handle, () => callback(err));
  }
}

/**
 * Asks the server to close a handle without waiting for its answer: a stream being destroyed must settle even
 * when the connection is dead and no answer will ever come (a closed channel has closed its handles already).
 */
function closeQuietly(sftp: SFTPWrapper, handle: Buffer, then: () => void): void {
  try {
    sftp.close(handle, () => {});
  } catch {
    // the channel is gone, and the handle with it
  }
  then();
}
