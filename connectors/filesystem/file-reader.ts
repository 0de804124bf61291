// Turns a file's bytes into events by format, from a byte offset, and keeps the open read between polls: a
// big file read `batchSize` lines per poll continues on the same stream (one FTP transfer, not one per poll).
import type { Readable } from 'node:stream';
import type { SluiceEvent } from '../../core/event.js';
import { invalidLine, type LineReader, readLine } from '../line-format/read-line.js';
import { csvFields } from './csv-row.js';
import type { FileSystem } from './file-system.js';
import { type Line, linesOf } from './line-stream.js';

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
  path: string;
  size: number;
  mtimeMs: number;
  offset: number;
  stream: Readable;
  lines: AsyncGenerator<Line[]>;
  /** Lines of the last chunk not handed out yet (the batch was full). */
  buffered: Line[];
  /** Index of the next line of `buffered` to hand out. */
  next: number;
}

export class FileReader {
  private open?: OpenRead;
  private readonly lineReader: LineReader;

  constructor(private readonly options: FormatOptions) {
    const format = options.format === 'ndjson' ? 'ndjson' : 'lines';
    this.lineReader = { format, onInvalid: options.onInvalid, logger: options.logger };
  }

  /** Up to `maxEvents` events of the file from `at.offset`; `where` names the source for messages. */
  async read(fs: FileSystem, at: ReadPosition, maxEvents: number, now: number): Promise<ReadResult> {
    const open = await this.linesFrom(fs, at);
    const out: ReadResult = { events: [], offset: at.offset, lines: at.lines, columns: at.columns };
    try {
      while (out.events.length < maxEvents) {
        if (open.next >= open.buffered.length) {
          const next = await open.lines.next();
          if (next.done) {
            this.forget();
            break;
          }
          open.buffered = next.value;
          open.next = 0;
        }
        const line = open.buffered[open.next++] as Line;
        out.lines++;
        out.offset = line.end;
        open.offset = out.offset;
        const event = this.eventOf(line.text, out, `file "${at.path}" line ${out.lines}`, now);
        if (event !== null)
          out.events.push({ ...event, headers: { ...event.headers, [this.options.fileHeader]: at.name } });
      }
    } catch (err) {
      this.forget();
      if (out.events.length === 0 && out.offset === at.offset) throw err;
      out.error = err;
    }
    return out;
  }

  private eventOf(text: string, at: ReadResult, where: string, now: number): SluiceEvent | null {
    if (this.options.format !== 'csv') return readLine(this.lineReader, text, where, now);
    const clean = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (clean.trim() === '') return null;
    const fields = csvFields(clean, this.options.csvDelimiter);
    if (at.columns === undefined) {
      if (!Array.isArray(fields))
        return invalidLine(this.lineReader, clean, where, `header row: ${fields.problem}`, now);
      at.columns = fields.map((f, i) => (i === 0 ? f.replace(/^\ufeff/, '') : f));
      return null;
    }
    const columns = at.columns;
    if (!Array.isArray(fields)) return invalidLine(this.lineReader, clean, where, fields.problem, now);
    if (fields.length !== columns.length) {
      return invalidLine(
        this.lineReader,
        clean,
        where,
        `${fields.length} fields, the header has ${columns.length}`,
        now,
      );
    }
    const value = Object.fromEntries(columns.map((c, i) => [c, fields[i] as string]));
    return { key: null, value, ts: now, headers: {} };
  }

  private async linesFrom(fs: FileSystem, at: ReadPosition): Promise<OpenRead> {
    const o = this.open;
    if (o && o.path === at.path && o.offset === at.offset && o.size === at.size && o.mtimeMs === at.mtimeMs) {
      return o;
    }
    this.forget();
    const stream = await fs.read(at.path, at.offset);
    const lines = linesOf(stream, at.offset, at.size);
    this.open = {
      path: at.path,
      size: at.size,
      mtimeMs: at.mtimeMs,
      offset: at.offset,
      stream,
      lines,
      buffered: [],
      next: 0,
    };
    return this.open;
  }

  /** Ends the open read (a file done, a failure, the source closing). */
  forget(): void {
    const o = this.open;
    this.open = undefined;
    if (o) {
      o.stream.destroy();
      void o.lines.return(undefined).catch(() => undefined);
    }
  }
}

/** A whole file as one event (format: file). */
export async function readWholeFile(fs: FileSystem, path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await fs.read(path, 0)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
