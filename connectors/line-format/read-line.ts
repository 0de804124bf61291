// Turns one line of text input (stdin, a file) into an event. Shared by every line-oriented source so that
// NDJSON means the same thing everywhere, and so that a bad line is handled the same way everywhere:
// nothing is lost and bad input stays visible unless the user explicitly asks to skip or stop.
import { FatalError } from '../../core/errors.js';
import { EventShapeError, normalizeEvent, type SluiceEvent, valueFromJson } from '../../core/event.js';
import { type Logger, z } from '../../core/plugin.js';

export const inputFormat = z
  .enum(['ndjson', 'lines'])
  .default('ndjson')
  .describe(
    'ndjson: each line is JSON read as an event: a bare value ("hello", 42), {"key","value"} or ' +
      '{"key","value","timestamp"}; lines: each line is one event whose value is the text of the line.',
  );

export const onInvalidLine = z
  .enum(['keep', 'skip', 'fail'])
  .default('keep')
  .describe(
    'A line that is not valid NDJSON: keep emits it as an event whose value is the raw text, with headers ' +
      'sluice-error (why) and sluice-error-code, so nothing is lost and a processor or sink can send it on to ' +
      'the dead-letter topic; skip drops it with a warning; fail stops the pipeline.',
  );

export type InputFormat = z.output<typeof inputFormat>;
export type OnInvalidLine = z.output<typeof onInvalidLine>;

export const ERROR_HEADER = 'sluice-error';
export const ERROR_CODE_HEADER = 'sluice-error-code';
const INVALID_LINE_CODE = 'E_NDJSON_LINE';

export interface LineReader {
  format: InputFormat;
  onInvalid: OnInvalidLine;
  logger: Logger;
}

type Headers = Readonly<Record<string, string>>;

/**
 * The event for one line (without its line break), or null for a blank line or a skipped bad one.
 * `where` names the line for messages (`stdin line 12`, `file "a.ndjson" line 3`); a function is called only
 * when a message is needed. `headers` go on every event, over those an NDJSON line carries.
 */
export function readLine(
  reader: LineReader,
  line: string,
  where: string | (() => string),
  now: number,
  headers: Headers = {},
): SluiceEvent | null {
  const text = stripLineEnd(line);
  if (isBlank(text)) return null;
  if (reader.format === 'lines') return { key: null, value: text, ts: now, headers };
  try {
    // A source emits events without ids: the topic gives them their own when they are stored.
    const { key, value, ts, headers: own } = normalizeEvent(JSON.parse(text), now);
    return {
      key,
      // Bytes travel in JSON as {"$bytes": base64}: what the ndjson sinks write comes back exactly.
      value: text.includes('"$bytes"') ? valueFromJson(value) : value,
      ts,
      headers: Object.keys(own).length === 0 ? headers : { ...own, ...headers },
    };
  } catch (err) {
    const reason = err instanceof EventShapeError ? err.message : `not valid JSON (${(err as Error).message})`;
    return invalidLine(reader, text, typeof where === 'string' ? where : where(), reason, now, headers);
  }
}

/** Whether a line holds nothing but white space. */
export function isBlank(text: string): boolean {
  const first = text.charCodeAt(0);
  // Nearly every line starts with a printable ASCII character, and then no trimmed copy is needed.
  if (first > 0x20 && first < 0x7f) return false;
  return text.trim() === '';
}

export function invalidLine(
  reader: LineReader,
  text: string,
  where: string,
  reason: string,
  now: number,
  headers: Headers = {},
): SluiceEvent | null {
  const message = `${where}: ${reason}`;
  if (reader.onInvalid === 'fail') {
    throw new FatalError(`${message}; fix the input, or set onInvalid: keep or skip`, { code: INVALID_LINE_CODE });
  }
  if (reader.onInvalid === 'skip') {
    reader.logger.warn({ where, reason }, `skipped a line that is not valid NDJSON: ${message}`);
    return null;
  }
  reader.logger.warn({ where, reason }, `kept a line that is not valid NDJSON as raw text: ${message}`);
  return {
    key: null,
    value: text,
    ts: now,
    headers: { ...headers, [ERROR_HEADER]: message, [ERROR_CODE_HEADER]: INVALID_LINE_CODE },
  };
}

// CRLF input, and a UTF-8 byte order mark that some editors put at the start of a file.
function stripLineEnd(line: string): string {
  const start = line.charCodeAt(0) === 0xfeff ? 1 : 0;
  const end = line.endsWith('\r') ? line.length - 1 : line.length;
  return start === 0 && end === line.length ? line : line.slice(start, end);
}
