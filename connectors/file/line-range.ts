// Reads whole lines from a byte range of a file, counting bytes exactly, so that the checkpoint offset
// always falls just after a line break (or at the end of a finished file).
import { open } from 'node:fs/promises';

const CHUNK_BYTES = 256 * 1024;

export interface LineRange {
  lines: string[];
  /** Offset just after the last line returned. */
  end: number;
}

/**
 * Up to `maxLines` lines from `from` to `to`. The bytes after the last line break up to `to` are a last line
 * only when `to` is the end of a finished file, which is how the source calls it (it reads stable files).
 */
export async function readLineRange(path: string, from: number, to: number, maxLines: number): Promise<LineRange> {
  const lines: string[] = [];
  let end = from;
  let position = from;
  let carry: Buffer = Buffer.alloc(0);
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  const handle = await open(path, 'r');
  try {
    while (lines.length < maxLines && position < to) {
      const { bytesRead } = await handle.read(chunk, 0, Math.min(CHUNK_BYTES, to - position), position);
      if (bytesRead === 0) return { lines, end }; // the file shrank while being read: the next poll sees it
      position += bytesRead;
      const data =
        carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let start = 0;
      while (lines.length < maxLines) {
        const lineBreak = data.indexOf(0x0a, start);
        if (lineBreak === -1) break;
        lines.push(data.toString('utf8', start, lineBreak));
        end += lineBreak + 1 - start;
        start = lineBreak + 1;
      }
      // Copied: `chunk` is reused for the next read.
      carry = Buffer.from(data.subarray(start));
    }
    if (lines.length < maxLines && position >= to && carry.length > 0) {
      lines.push(carry.toString('utf8'));
      end += carry.length;
    }
    return { lines, end };
  } finally {
    await handle.close();
  }
}
