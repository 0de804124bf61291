// Turns a file's bytes into events by format, from a byte offset, and keeps the open read between polls: a
// big file read `batchSize` lines per poll continues on the same stream (one FTP transfer, not one per poll).
import type { Readable } from 'node:stream';
import type { SluiceEvent } from '../../core/event.js';
import { invalidLine, isBlank, type LineReader, readLine } from '../line-format/read-line.js';
import { csvFields } from './csv-row.js';
import type { FileSystem } from './file-system.js';
import { type LineBlock, linesOf } from './line-stream.js';

export interface ReadPosition {
  /** Path below the source's folder, for the header and messages. */
  name: string;
  path: string;
  size: number;
  mtimeMs: number;
  offset: number;
  lines: number;
  columns?: string[];
}

export interface ReadResult {
  events: SluiceEvent[];
  offset: number;
  lines: number;
  columns?: string[];
  /** Set when the read failed part-way: the events before it are good, the rest is read on the next poll. */
  error?: unknown;
}

export interface FormatOptions extends Omit<LineReader, 'format'> {
  format: LineReader['format'] | 'csv' | 'file';
  csvDelimiter: string;
  /** Header naming the file each event came from. */
  fileHeader: string;
}

interface OpenRead {
  name: string;
  path: string;
  size: number;
  mtimeMs: number;
  offset: number;
  stream: Readable;
  blocks: AsyncGenerator<LineBlock>;
  /** The block being handed out (the last batch was full before its end), and the index of its next line. */
  block?: LineBlock;
  at: number;
}

export class FileReader {
  private open?: OpenRead;
  private readonly lineReader: LineReader;

  constructor(private readonly options: FormatOptions) {
    const format = options.format === 'ndjson' ? 'ndjson' : 'lines';
    this.lineReader = { format, onInvalid: options.onInvalid, logger: options.logger };
  }

  /** The file whose read is open (a poll stopped part-way through it), if any. */
  going(): { name: string; path: string } | undefined {
    const o = this.open;
    return o && { name: o.name, path: o.path };
  }

  /** Whether `at` continues the read left open by the last call, so nothing needs opening or seeking. */
  isOpenAt(at: ReadPosition): boolean {
    const o = this.open;
    return (
      o !== undefined && o.path === at.path && o.offset === at.offset && o.size === at.size && o.mtimeMs === at.mtimeMs
    );
  }

  /**
   * Up to `maxEvents` events of the file from `at.offset`. A failing stream ends the read early with `error`
   * set (the events before it are good); a line that must stop the pipeline (onInvalid: fail) throws.
   */
  async read(fs: FileSystem, at: ReadPosition, maxEvents: number, now: number): Promise<ReadResult> {
    const open = await this.linesFrom(fs, at);
    const out: ReadResult = { events: [], offset: at.offset, lines: at.lines, columns: at.columns };
    // One headers object for the whole read: events are never changed after they are made.
    const headers = Object.freeze({ [this.options.fileHeader]: at.name });
    const where = () => `file "${at.path}" line ${out.lines}`;
    let block = open.block;
    let next = open.at;
    try {
      while (out.events.length < maxEvents) {
        if (block === undefined || next >= block.text.length) {
          const read = await this.nextBlock(open, out);
          if (read === undefined) break;
          block = read;
          next = 0;
        }
        const text = block.text;
        const lineBreak = text.indexOf('\n', next);
        const line = text.slice(next, lineBreak === -1 ? text.length : lineBreak);
        next = lineBreak === -1 ? text.length : lineBreak + 1;
        out.lines++;
        const event = this.eventOf(line, out, where, now, headers);
        if (event !== null) out.events.push(event);
      }
    } catch (err) {
      this.forget();
      throw err;
    }
    out.offset = block === undefined ? at.offset : block.offsetAt(next);
    if (this.open === open) {
      // The batch is full: the next poll goes on from here, on the same stream.
      open.block = block;
      open.at = next;
      open.offset = out.offset;
    } else if (out.error !== undefined && out.events.length === 0 && out.offset === at.offset) {
      throw out.error;
    }
    return out;
  }

  /** The next block of lines, or undefined at the end of the file or when reading failed (`out.error`). */
  private async nextBlock(open: OpenRead, out: ReadResult): Promise<LineBlock | undefined> {
    try {
      const read = await open.blocks.next();
      if (!read.done) return read.value;
    } catch (err) {
      out.error = err;
    }
    this.forget();
    return undefined;
  }

  private eventOf(
    text: string,
    at: ReadResult,
    where: () => string,
    now: number,
    headers: Readonly<Record<string, string>>,
  ): SluiceEvent | null {
    if (this.options.format !== 'csv') return readLine(this.lineReader, text, where, now, headers);
    const clean = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (isBlank(clean)) return null;
    const fields = csvFields(clean, this.options.csvDelimiter);
    if (at.columns === undefined) {
      if (!Array.isArray(fields))
        return invalidLine(this.lineReader, clean, where(), `header row: ${fields.problem}`, now, headers);
      at.columns = fields.map((f, i) => (i === 0 ? f.replace(/^\ufeff/, '') : f));
      return null;
    }
    const columns = at.columns;
    if (!Array.isArray(fields)) return invalidLine(this.lineReader, clean, where(), fields.problem, now, headers);
    if (fields.length !== columns.length) {
      return invalidLine(
        this.lineReader,
        clean,
        where(),
        `${fields.length} fields, the header has ${columns.length}`,
        now,
        headers,
      );
    }
    const value = Object.fromEntries(columns.map((c, i) => [c, fields[i] as string]));
    return { key: null, value, ts: now, headers };
  }

  private async linesFrom(fs: FileSystem, at: ReadPosition): Promise<OpenRead> {
    if (this.isOpenAt(at)) return this.open as OpenRead;
    this.forget();
    const stream = await fs.read(at.path, at.offset);
    this.open = {
      name: at.name,
      path: at.path,
      size: at.size,
      mtimeMs: at.mtimeMs,
      offset: at.offset,
      stream,
      blocks: linesOf(stream, at.offset, at.size),
      at: 0,
    };
    return this.open;
  }

  /** Ends the open read (a file done, a failure, the source closing). */
  forget(): void {
    const o = this.open;
    this.open = undefined;
    if (o) {
      o.stream.destroy();
      void o.blocks.return(undefined).catch(() => undefined);
    }
  }
}

/** A whole file as one event (format: file). */
export async function readWholeFile(fs: FileSystem, path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await fs.read(path, 0)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
