// Lines from a byte stream with their exact end offsets, so that a checkpoint always falls just after a line
// break (or at the end of a finished file). Memory stays at one chunk plus one line, whatever the file's size.
import type { Readable } from 'node:stream';

export interface Line {
  text: string;
  /** Offset in the file just after this line and its line break. */
  end: number;
}

/**
 * The lines of `stream`, a chunk's worth at a time, which starts at `offset` of a file whose complete size is `size`: the bytes after the
 * last line break are a last line only once `size` is reached (the source reads only finished files).
 */
export async function* linesOf(stream: Readable, offset: number, size: number): AsyncGenerator<Line[]> {
  let position = offset;
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    // A file that grew since it was listed is read up to its listed size; the rest waits for the next listing.
    const room = size - (position + carry.length);
    const part = chunk.length > room ? chunk.subarray(0, Math.max(room, 0)) : chunk;
    const data = carry.length > 0 ? Buffer.concat([carry, part]) : part;
    let start = 0;
    // One chunk's lines at a time: an await per line would cost more than the line itself.
    const lines: Line[] = [];
    for (;;) {
      const lineBreak = data.indexOf(0x0a, start);
      if (lineBreak === -1) break;
      position += lineBreak + 1 - start;
      lines.push({ text: data.toString('utf8', start, lineBreak), end: position });
      start = lineBreak + 1;
    }
    if (lines.length > 0) yield lines;
    // Copied: the stream may reuse its buffer.
    carry = Buffer.from(data.subarray(start));
    if (part.length < chunk.length) break;
  }
  if (carry.length > 0 && position + carry.length >= size) {
    position += carry.length;
    yield [{ text: carry.toString('utf8'), end: position }];
  }
}
