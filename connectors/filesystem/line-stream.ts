// Whole lines from a byte stream, a chunk's worth at a time, with exact byte offsets, so that a checkpoint
// always falls just after a line break (or at the end of a finished file). Memory stays at one chunk plus one
// line, whatever the file's size. Lines are found with Buffer.indexOf and a chunk's lines are decoded a block at
// a time: per line, the reader then only slices a string, instead of decoding one small string per line.

// Blocks of at most this much text (unless one line is longer), however big the chunks the stream delivers: a
// longer string lands in V8's large-object space, which only a full collection frees, so blocks of a whole
// 1 MiB chunk each grew the heap by the chunk, poll after poll, until the next full collection.
const BLOCK_BYTES = 64 * 1024;

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
  // The start of a line that the last chunk cut off; copied, as the stream may reuse its buffer.
  let carry: Buffer | undefined;
  for await (const chunk of stream) {
    // A file that grew since it was listed is read up to its listed size; the rest waits for the next listing.
    const room = size - (position + (carry?.length ?? 0));
    const part = chunk.length > room ? chunk.subarray(0, Math.max(room, 0)) : chunk;
    let from = 0;
    if (carry !== undefined) {
      // Only the cut line is joined: copying the whole chunk onto it would double the bytes copied.
      const firstBreak = part.indexOf(0x0a);
      if (firstBreak === -1) {
        carry = Buffer.concat([carry, part]);
      } else {
        const line = Buffer.concat([carry, part.subarray(0, firstBreak + 1)]);
        yield new LineBlock(line.toString('utf8'), position, position + line.length);
        position += line.length;
        carry = undefined;
        from = firstBreak + 1;
      }
    }
    if (carry === undefined) {
      while (from < part.length) {
        // The last break within BLOCK_BYTES, or the end of a longer line.
        let cut = part.lastIndexOf(0x0a, Math.min(from + BLOCK_BYTES, part.length) - 1);
        if (cut < from) cut = part.indexOf(0x0a, from + BLOCK_BYTES);
        if (cut < from) break;
        // "\n" never occurs inside a multi-byte UTF-8 sequence, so a block cut after one decodes whole.
        yield new LineBlock(part.toString('utf8', from, cut + 1), position, position + cut + 1 - from);
        position += cut + 1 - from;
        from = cut + 1;
      }
      if (from < part.length) carry = Buffer.from(part.subarray(from));
    }
    if (part.length < chunk.length) break;
  }
  if (carry !== undefined && position + carry.length >= size) {
    yield new LineBlock(carry.toString('utf8'), position, position + carry.length);
  }
}
