// Reading the frames of an LZ4 payload from their headers, without decompressing. It finds where each frame
// ends (the binding decompresses only the first frame and ignores the rest, data or garbage) and the most the
// payload can decompress to, so that `maxOutputBytes` refuses a bomb before memory is spent on it (the binding
// has no output limit of its own). Uncompressed blocks state their size; a compressed block yields at most
// min(block maximum, 255 × its size), 255:1 being the most LZ4 can expand.
import { OutputLimitExceeded } from './compression-processor.js';

const FRAME_MAGIC = 0x184d2204;
const BLOCK_MAX = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];
const MAX_EXPANSION = 255;

function need(bytes: Buffer, pos: number, n: number): void {
  if (pos + n > bytes.length) throw new Error('LZ4 data ends inside a frame');
}

function frameBound(bytes: Buffer, start: number, maxOutputBytes: number): { bound: number; end: number } {
  let pos = start;
  need(bytes, pos, 2);
  const flags = bytes[pos];
  const blockMax = BLOCK_MAX[(bytes[pos + 1] >> 4) & 7];
  pos += 2;
  if (flags >> 6 !== 1) throw new Error('LZ4 frame has an unknown version');
  if (blockMax === 0) throw new Error('LZ4 frame has an invalid block maximum size');
  const hasBlockChecksum = (flags >> 4) & 1;
  if ((flags >> 3) & 1) {
    need(bytes, pos, 8);
    const contentSize = Number(bytes.readBigUInt64LE(pos));
    if (contentSize > maxOutputBytes) throw new OutputLimitExceeded();
    pos += 8;
  }
  if (flags & 1) pos += 4;
  pos += 1; // header checksum
  let bound = 0;
  for (;;) {
    need(bytes, pos, 4);
    const word = bytes.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    bound += word & 0x80000000 ? size : Math.min(blockMax, size * MAX_EXPANSION);
    need(bytes, pos, size);
    pos += size + (hasBlockChecksum ? 4 : 0);
    if (bound > maxOutputBytes + blockMax) throw new OutputLimitExceeded();
  }
  if ((flags >> 2) & 1) pos += 4;
  return { bound, end: pos };
}

/**
 * The frames of `bytes` (skippable frames left out), as subarrays to decompress one by one. Throws
 * OutputLimitExceeded when they may decompress to more than `maxOutputBytes`, and an Error when `bytes` is not
 * a sequence of LZ4 frames.
 */
export function lz4Frames(bytes: Buffer, maxOutputBytes: number): Buffer[] {
  const frames: Buffer[] = [];
  let pos = 0;
  let bound = 0;
  while (pos < bytes.length) {
    need(bytes, pos, 4);
    const start = pos;
    const magic = bytes.readUInt32LE(pos);
    pos += 4;
    if (magic === FRAME_MAGIC) {
      const frame = frameBound(bytes, pos, maxOutputBytes - bound);
      bound += frame.bound;
      pos = frame.end;
      need(bytes, 0, pos);
      frames.push(bytes.subarray(start, pos));
    } else if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      need(bytes, pos, 4);
      pos += 4 + bytes.readUInt32LE(pos);
    } else {
      throw new Error('not an LZ4 frame (unknown magic number)');
    }
    if (bound > maxOutputBytes + BLOCK_MAX[7]) throw new OutputLimitExceeded();
  }
  return frames;
}
