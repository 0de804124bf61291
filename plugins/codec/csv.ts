// CSV: a payload ↔ one event per row. Rows are objects keyed by column name (from the header line or
// `columns`), or arrays of fields when there are no names. Fields are text unless `types` says otherwise; a
// row that cannot be read or converted is rejected alone and the other rows go on.
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { SluiceEvent } from '../../core/event.js';
import { defineProcessor, type ProcessResult, recordError, z } from '../../core/plugin.js';
import { batchEvent, partMaker } from './batch-event.js';
import { jsonText } from './json.js';
import { assertEncodable, encodingField, payloadText } from './payload-text.js';

type Rejected = NonNullable<ProcessResult['rejected']>;
type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'json';

const config = z.object({
  action: z
    .enum(['decode', 'encode'])
    .default('decode')
    .describe(
      'decode: each row of a text or bytes value becomes an event; encode: the whole batch becomes one event ' +
        'holding a CSV payload with a row per event.',
    ),
  header: z
    .boolean()
    .default(true)
    .describe('The first line holds the column names: decode reads it, encode writes it.'),
  columns: z
    .array(z.string().min(1))
    .optional()
    .describe(
      "Column names. decode: names the fields (replacing the header line's names when header is true); " +
        'encode: which fields are written, in this order (default: the fields of the first event).',
    ),
  delimiter: z.string().min(1).default(',').describe('Field separator, such as "," ";" or "\\t".'),
  quote: z
    .string()
    .length(1)
    .default('"')
    .describe('Character that encloses fields holding separators or line breaks.'),
  escape: z.string().length(1).default('"').describe('Character that escapes a quote inside a quoted field.'),
  types: z
    .record(z.string(), z.enum(['string', 'number', 'integer', 'boolean', 'json']))
    .default({})
    .describe(
      'Type of each named column; others are text. An empty field of a typed column is null; boolean reads ' +
        'true/false; json reads and writes the field as JSON text.',
    ),
  lineEnding: z.enum(['lf', 'crlf']).default('lf').describe('encode: line ending written (crlf for RFC 4180 readers).'),
  quoteAll: z.boolean().default(false).describe('encode: quote every field, not only those that need it.'),
  encoding: encodingField,
});
type CsvConfig = z.output<typeof config>;

const excerpt = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

function readField(text: string, type: FieldType): unknown {
  if (type === 'string') return text;
  if (text === '') return null;
  switch (type) {
    case 'number': {
      const n = Number(text);
      if (text.trim() === '' || Number.isNaN(n)) throw new TypeError(`${excerpt(text)} is not a number`);
      return n;
    }
    case 'integer': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isSafeInteger(n)) throw new TypeError(`${excerpt(text)} is not an integer`);
      return n;
    }
    case 'boolean': {
      const lower = text.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw new TypeError(`${excerpt(text)} is not true or false`);
      return lower === 'true';
    }
    default:
      try {
        return JSON.parse(text);
      } catch {
        throw new TypeError(`${excerpt(text)} is not JSON`);
      }
  }
}

function writeField(value: unknown, type: FieldType | undefined): string {
  if (type === 'json') return value === undefined || value === null ? '' : jsonText(value, 'csv encode');
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${value} cannot be written as a number`);
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return jsonText(value, 'csv encode');
}

function headerNames(names: string[], configured: string[] | undefined): string[] {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new Error(`the header names column ${excerpt(name)} twice`);
    if (name === '__proto__') throw new Error('the header names a column "__proto__", which is not allowed');
    seen.add(name);
  }
  return configured ?? names;
}

interface ParsedRow {
  record: Record<string, string> | string[];
  raw: string;
  info: { lines: number };
}

function decodeInto(whole: SluiceEvent, c: CsvConfig, events: SluiceEvent[], rejected: Rejected): void {
  const part = partMaker(whole);
  const skipped: Array<{ line: number; message: string; raw: string }> = [];
  let rows: ParsedRow[];
  try {
    rows = parse(payloadText(whole.value, 'csv decode', c.encoding), {
      delimiter: c.delimiter,
      quote: c.quote,
      escape: c.escape,
      columns: c.header ? (names: string[]) => headerNames(names, c.columns) : (c.columns ?? false),
      bom: true,
      // A lone "\r" is data, not a line break: CSV written elsewhere may hold one in a field.
      record_delimiter: ['\r\n', '\n'],
      skip_empty_lines: true,
      // Rows without column names are arrays and may differ in length.
      relax_column_count: !c.header && c.columns === undefined,
      skip_records_with_error: true,
      info: true,
      raw: true,
      on_skip: (err: { message: string; lines?: number } | undefined, raw?: string) => {
        if (err) skipped.push({ line: err.lines ?? 0, message: err.message, raw: raw ?? '' });
      },
    }) as unknown as ParsedRow[];
  } catch (err) {
    rejected.push({ event: whole, error: recordError(`csv decode: ${(err as Error).message}`, err, 'E_DECODE') });
    return;
  }
  const typed = Object.entries(c.types);
  for (const { record, raw, info } of rows) {
    if (Array.isArray(record) || typed.length === 0) {
      events.push(part(record));
      continue;
    }
    try {
      const value: Record<string, unknown> = record;
      for (const [column, type] of typed) {
        if (column in record) value[column] = readField(record[column], type);
      }
      events.push(part(value));
    } catch (err) {
      const message = `csv decode: line ${info.lines}: ${(err as Error).message}`;
      rejected.push({ event: part(raw), error: recordError(message, err, 'E_DECODE') });
    }
  }
  for (const { line, message, raw } of skipped) {
    rejected.push({
      event: part(raw),
      error: recordError(`csv decode: line ${line}: ${message}`, undefined, 'E_DECODE'),
    });
  }
}

function fieldsOf(value: unknown, columns: string[] | undefined, c: CsvConfig): string[] {
  if (Array.isArray(value)) {
    if (value.length === 0) throw new TypeError('value is an empty array: a row needs at least one field');
    return value.map((v) => writeField(v, undefined));
  }
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || !columns) {
    throw new TypeError('value must be an object of fields (or an array of fields)');
  }
  const record = value as Record<string, unknown>;
  return columns.map((column) => writeField(record[column], c.types[column]));
}

function encode(batch: readonly SluiceEvent[], c: CsvConfig): ProcessResult {
  const firstObject = batch.find(
    (e) =>
      e.value !== null && typeof e.value === 'object' && !Array.isArray(e.value) && !(e.value instanceof Uint8Array),
  );
  const columns = c.columns ?? (firstObject && Object.keys(firstObject.value as object));
  const rows: string[][] = [];
  const written: SluiceEvent[] = [];
  const rejected: Rejected = [];
  for (const event of batch) {
    try {
      const fields = fieldsOf(event.value, columns, c);
      for (const field of fields) assertEncodable(field, 'csv encode', c.encoding);
      rows.push(fields);
      written.push(event);
    } catch (err) {
      const error =
        (err as { kind?: string }).kind === 'record'
          ? (err as Error)
          : recordError(`csv encode: ${(err as Error).message}`, err, 'E_ENCODE');
      rejected.push({ event, error });
    }
  }
  if (written.length === 0) return { events: [], rejected };
  if (c.header && columns) rows.unshift(columns);
  const text = stringify(rows, {
    delimiter: c.delimiter,
    quote: c.quote,
    escape: c.escape,
    record_delimiter: c.lineEnding === 'crlf' ? '\r\n' : '\n',
    quoted: c.quoteAll,
    // A row of one empty field would be an empty line, which readers skip.
    quoted_empty: c.quoteAll || rows.some((row) => row.length === 1),
    quoted_match: /\r/,
    eof: true,
  });
  return { events: [batchEvent(written, Buffer.from(text, c.encoding))], rejected };
}

export default defineProcessor({
  name: 'csv',
  summary: 'Split CSV into one event per row, or join a batch into one CSV payload.',
  config,
  create: (c) => ({
    process(batch) {
      if (c.action === 'encode') return encode(batch, c);
      const events: SluiceEvent[] = [];
      const rejected: Rejected = [];
      for (const whole of batch) decodeInto(whole, c, events, rejected);
      return { events, rejected };
    },
  }),
});
