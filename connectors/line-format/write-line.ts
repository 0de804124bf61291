// Turns events into lines of text output (stdout, a file). Shared by every line-oriented sink so that a
// format means the same thing everywhere, and what `ndjson` writes, the `ndjson` sources read back.
import { RecordError } from '../../core/errors.js';
import { type SluiceEvent, valueJsonText, valueText, valueToJson } from '../../core/event.js';
import { type RecordRejection, z } from '../../core/plugin.js';

export const outputFormat = z
  .enum(['ndjson', 'value', 'lines'])
  .default('ndjson')
  .describe(
    'ndjson: each event as one line of JSON {"key","value","ts"} (plus "headers" and "id" when present); ' +
      'value: only the value, as one line of JSON; lines: only the value as plain text (strings unquoted, ' +
      'bytes as UTF-8, objects as JSON).',
  );

export const timestampFormat = z
  .enum(['ms', 'iso'])
  .default('ms')
  .describe('How ndjson writes "ts": ms (epoch milliseconds) or iso (ISO-8601 text, UTC).');

export type OutputFormat = z.output<typeof outputFormat>;
export type TimestampFormat = z.output<typeof timestampFormat>;

export interface LineWriter {
  format: OutputFormat;
  ts: TimestampFormat;
}

/** One line (without its line break) for an event; throws a RecordError when the format cannot hold it. */
export function writeLine(writer: LineWriter, event: SluiceEvent): string {
  if (writer.format === 'value') return valueJsonText(event);
  if (writer.format === 'lines') {
    const text = valueText(event);
    if (/[\r\n]/.test(text)) {
      throw new RecordError(
        `event ${event.id ?? `with key ${JSON.stringify(event.key)}`}: its value contains a line break, ` +
          'which the lines format cannot write as one line; use format: value or ndjson',
        { code: 'E_LINE_BREAK' },
      );
    }
    return text;
  }
  const out: Record<string, unknown> = { key: event.key, value: valueToJson(event.value), ts: tsOf(writer, event) };
  if (Object.keys(event.headers).length > 0) out.headers = event.headers;
  if (event.id !== undefined) out.id = event.id;
  return JSON.stringify(out);
}

function tsOf(writer: LineWriter, event: SluiceEvent): number | string {
  if (writer.ts === 'ms') return event.ts;
  const date = new Date(event.ts);
  if (Number.isNaN(date.getTime())) {
    throw new RecordError(`event ${event.id ?? ''}: ts ${event.ts} is not a date that ISO-8601 can write`, {
      code: 'E_EVENT_TS',
    });
  }
  return date.toISOString();
}

export interface WrittenBatch {
  /** The lines of the records that could be written, each ending with a line break. */
  text: string;
  /** How many records are in `text`. */
  written: number;
  rejected: RecordRejection[];
}

/** Formats a batch; a record the format cannot hold is rejected with its reason and the others go on. */
export function writeBatch(writer: LineWriter, batch: readonly SluiceEvent[]): WrittenBatch {
  let text = '';
  let written = 0;
  const rejected: RecordRejection[] = [];
  batch.forEach((event, index) => {
    try {
      text += `${writeLine(writer, event)}\n`;
      written++;
    } catch (err) {
      if (!(err instanceof RecordError)) throw err;
      rejected.push({ index, error: err });
    }
  });
  return { text, written, rejected };
}
