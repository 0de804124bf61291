// Whole lines from a byte stream, a chunk's worth at a time, with exact byte offsets, so that a checkpoint
// always falls just after a line break (or at the end of a finished file). Memory stays at one chunk plus one
// line, whatever the file's size. Lines are found with Buffer.indexOf and each chunk's lines are decoded in one
// go: per line, the reader then only slices a string (measured: decoding line by line cost a third of the time).

/** Complete lines of a file, each ended by "\n" except the file's last one. */
export class LineBlock {
  /** Whether every character is one byte, so a character index is a byte count. */
  private readonly isAscii: boolean;

  constructor(
    readonly text: string,
    /** File offset of the block's first byte. */
    readonly start: number,
    /** File offset just after the block. */
    readonly end: number,
  ) {
    this.isAscii = text.length === end - start;
  }

  /** File offset of the character at index `at` of `text` (a line start). */
  offsetAt(at: number): number {
    if (at >= this.text.length) return this.end;
    return this.start + (this.isAscii ? at : Buffer.byteLength(this.text.slice(0, at)));
  }
}

/**
 * The lines of `stream`, which starts at `offset` of a file whose complete size is `size`: the bytes after the
 * last line break are a last line only once `size` is reached (the source reads only finished files).
 */
export async function* linesOf(stream: AsyncIterable<Buffer>, offset: number, size: number): AsyncGenerator<LineBlock> {
  let position = offset;
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of stream) {
    // A file that grew since it was listed is read up to its listed size; the rest waits for the next listing.
    const room = size - (position + carry.length);
    const part = chunk.length > room ? chunk.subarray(0, Math.max(room, 0)) : chunk;
    const data = carry.length > 0 ? Buffer.concat([carry, part]) : part;
    const lastBreak = data.lastIndexOf(0x0a);
    if (lastBreak >= 0) {
      // "\n" never occurs inside a multi-byte UTF-8 sequence, so a block cut after one decodes whole.
      yield new LineBlock(data.toString('utf8', 0, lastBreak + 1), position, position + lastBreak + 1);
      position += lastBreak + 1;
    }
    // Copied: the stream may reuse its buffer.
    carry = Buffer.from(data.subarray(lastBreak + 1));
    if (part.length < chunk.length) break;
  }
  if (carry.length > 0 && position + carry.length >= size) {
    yield new LineBlock(carry.toString('utf8'), position, position + carry.length);
  }
}
