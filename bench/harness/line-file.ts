// The big file of the file-transfer scenarios: 91-byte lines, written in chunks with backpressure.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

/** Writes at least `bytes` bytes of lines to `path`; resolves to the number of lines. */
export async function writeLines(path: string, bytes: number): Promise<number> {
  const out = createWriteStream(path);
  const line = `${'x'.repeat(90)}\n`;
  const chunk = line.repeat(10_000);
  let lines = 0;
  for (let written = 0; written < bytes; written += chunk.length) {
    if (!out.write(chunk)) await once(out, 'drain');
    lines += 10_000;
  }
  out.end();
  await once(out, 'close');
  return lines;
}
