import { describe, expect, it } from 'vitest';
import { type LineBlock, linesOf } from '../../../../connectors/filesystem/line-stream.js';

async function* cutInto(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Every line with the file offset just after it, as the file reader hands them out. */
async function linesWithEnds(bytes: Buffer, cut: number, offset = 0, size = bytes.length) {
  const out: Array<[string, number]> = [];
  for await (const block of linesOf(cutInto(bytes.subarray(offset), cut), offset, size)) {
    for (let at = 0; at < block.text.length; ) {
      const lineBreak = block.text.indexOf('\n', at);
      const next = lineBreak === -1 ? block.text.length : lineBreak + 1;
      out.push([block.text.slice(at, lineBreak === -1 ? next : lineBreak), block.offsetAt(next)]);
      at = next;
    }
  }
  return out;
}

describe('lines of a byte stream', () => {
  const text = 'a\näö€𝄞 x\n\nsome longer line\nlast';
  const bytes = Buffer.from(text);
  const expected = (() => {
    const lines: Array<[string, number]> = [];
    let end = 0;
    for (const line of text.split('\n')) {
      end += Buffer.byteLength(line) + (end + Buffer.byteLength(line) < bytes.length ? 1 : 0);
      lines.push([line, end]);
    }
    return lines;
  })();

  it('gives every line with its exact end offset, however the bytes are cut', async () => {
    for (const cut of [1, 2, 3, 5, 7, 64]) expect(await linesWithEnds(bytes, cut)).toEqual(expected);
  });

  it('decodes a big chunk in blocks of at most 64 KiB, and keeps a longer line whole', async () => {
    const long = 'y'.repeat(100_000);
    const lines = [...Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 90)}`), long, 'end'];
    const file = Buffer.from(lines.join('\n'));
    const blocks: LineBlock[] = [];
    for await (const block of linesOf(cutInto(file, 1024 * 1024), 0, file.length)) blocks.push(block);
    expect(blocks.map((b) => b.text).join('')).toBe(lines.join('\n'));
    expect(blocks.filter((b) => b.text.length > 64 * 1024).map((b) => b.text)).toEqual([`${long}\n`]);
    expect(blocks.every((b, i) => b.start === (i === 0 ? 0 : blocks[i - 1]?.end))).toBe(true);
  });

  it('starts mid-file at a line start and counts offsets from there', async () => {
    const from = expected[1][1];
    for (const cut of [1, 4, 64]) expect(await linesWithEnds(bytes, cut, from)).toEqual(expected.slice(2));
  });

  it('keeps a last line without a line break until the file has reached its listed size', async () => {
    const lines = await linesWithEnds(bytes, 3, 0, bytes.length + 10);
    expect(lines).toEqual(expected.slice(0, -1));
  });

  it('reads a file that grew since it was listed only up to the listed size', async () => {
    const listed = expected[2][1];
    expect(await linesWithEnds(bytes, 4, 0, listed)).toEqual(expected.slice(0, 3));
  });
});
