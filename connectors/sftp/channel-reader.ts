// Pulls bytes from an SSH channel on demand: the SCP protocol interleaves one-byte acknowledgements, text lines
// and file data, and pulling (rather than listening to 'data') keeps the channel's flow control, so a slow
// consumer slows the server instead of filling memory.
import type { Readable } from 'node:stream';

export class ChannelReader {
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  /**
   * Bytes read from the stream but not handed out yet. Kept here rather than unshifted: `read()` joins
   * everything the stream buffers into one copy, so unshifting a remainder would copy it again on every take.
   */
  private held: Buffer | undefined;

  constructor(private readonly stream: Readable) {
    const notify = () => {
      const w = this.wake;
      this.wake = undefined;
      w?.();
    };
    stream.on('readable', notify);
    stream.once('end', () => {
      this.ended = true;
      notify();
    });
    stream.once('close', () => {
      this.ended = true;
      notify();
    });
    stream.once('error', (err) => {
      this.failure = err;
      notify();
    });
  }

  /** Up to `max` bytes (at least one), or undefined at the end of the stream. */
  async take(max: number): Promise<Buffer | undefined> {
    for (;;) {
      if (this.failure) throw this.failure;
      const chunk = this.held ?? (this.stream.read() as Buffer | null);
      this.held = undefined;
      if (chunk !== null) {
        if (chunk.length > max) {
          this.held = chunk.subarray(max);
          return chunk.subarray(0, max);
        }
        return chunk;
      }
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** Exactly one byte, or undefined at the end. */
  async byte(): Promise<number | undefined> {
    const b = await this.take(1);
    return b?.[0];
  }

  /** Bytes up to a newline (not included), as UTF-8. */
  async line(): Promise<string> {
    const parts: Buffer[] = [];
    for (;;) {
      const b = await this.take(1024);
      if (b === undefined) return Buffer.concat(parts).toString('utf8');
      const nl = b.indexOf(0x0a);
      if (nl >= 0) {
        parts.push(b.subarray(0, nl));
        if (nl + 1 < b.length)
          this.held = this.held ? Buffer.concat([b.subarray(nl + 1), this.held]) : b.subarray(nl + 1);
        return Buffer.concat(parts).toString('utf8');
      }
      parts.push(b);
    }
  }
}
