// The most a zstd payload can decompress to, read from its frame and block headers without decompressing
// (RFC 8878). The zstd binding has no output limit of its own, so this is what lets `maxOutputBytes` refuse a
// bomb before any memory is spent on it. Raw and RLE blocks state their size; a compressed block yields at
// most min(window size, 128 KiB).
import { OutputLimitExceeded } from './compression-processor.js';

const FRAME_MAGIC = 0xfd2fb528;
const BLOCK_MAX = 128 * 1024;

class Cursor {
  constructor(
    readonly bytes: Buffer,
    public pos = 0,
  ) {}
  need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new Error('zstd data ends inside a frame');
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }
  uintLE(n: number): number {
    this.need(n);
    let value = 0;
    for (let i = n - 1; i >= 0; i--) value = value * 256 + this.bytes[this.pos + i];
    this.pos += n;
    return value;
  }
}

function frameBound(cur: Cursor, maxOutputBytes: number): number {
  const descriptor = cur.u8();
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const hasChecksum = (descriptor >> 2) & 1;
  if (descriptor & 0x08) throw new Error('zstd frame header has its reserved bit set');
  let windowSize = Number.POSITIVE_INFINITY;
  if (!singleSegment) {
    const w = cur.u8();
    const base = 2 ** (10 + (w >> 3));
    windowSize = base + (base / 8) * (w & 7);
  }
  cur.uintLE([0, 1, 2, 4][descriptor & 3]);
  const fcsSize = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag];
  if (fcsSize > 0) {
    const contentSize = cur.uintLE(fcsSize) + (fcsSize === 2 ? 256 : 0);
    if (contentSize > maxOutputBytes) throw new OutputLimitExceeded();
    if (singleSegment) windowSize = contentSize;
  }
  const blockMax = Math.min(windowSize, BLOCK_MAX);
  let bound = 0;
  for (;;) {
    const header = cur.uintLE(3);
    const type = (header >> 1) & 3;
    const size = header >>> 3;
    if (type === 0) {
      bound += size;
      cur.need(size);
      cur.pos += size;
    } else if (type === 1) {
      bound += size;
      cur.need(1);
      cur.pos += 1;
    } else if (type === 2) {
      bound += blockMax;
      cur.need(size);
      cur.pos += size;
    } else {
      throw new Error('zstd block has the reserved type');
    }
    if (header & 1) break;
  }
  if (hasChecksum) cur.uintLE(4);
  return bound;
}

/**
 * Throws OutputLimitExceeded when `bytes` may decompress to more than `maxOutputBytes` (give or take the last
 * block of a frame, whose real size is only known by decompressing it), and an Error when it is not zstd.
 */
export function checkZstdBound(bytes: Buffer, maxOutputBytes: number): void {
  const cur = new Cursor(bytes);
  let bound = 0;
  while (cur.pos < bytes.length) {
    const magic = cur.uintLE(4);
    if (magic === FRAME_MAGIC) bound += frameBound(cur, maxOutputBytes);
    else if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      const size = cur.uintLE(4);
      cur.need(size);
      cur.pos += size;
    } else throw new Error('not a zstd frame (unknown magic number)');
    if (bound > maxOutputBytes + BLOCK_MAX) throw new OutputLimitExceeded();
  }
}
