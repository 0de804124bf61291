// Line-oriented text: a payload ↔ one event per line (log files, CSV-less exports, line protocols).
import { type SluiceEvent, toText } from '../../core/event.js';
import { defineProcessor, type ProcessResult, recordError, z } from '../../core/plugin.js';
import { batchEvent, partMaker } from './batch-event.js';
import { assertEncodable, encodingField, payloadText, type TextEncoding } from './payload-text.js';
import { splitLines } from './split-lines.js';

type Rejected = NonNullable<ProcessResult['rejected']>;

function decode(batch: readonly SluiceEvent[], encoding: TextEncoding, skipEmpty: boolean): ProcessResult {
  const events: SluiceEvent[] = [];
  const rejected: Rejected = [];
  for (const whole of batch) {
    let lines: string[];
    try {
      lines = splitLines(payloadText(whole.value, 'lines decode', encoding));
    } catch (err) {
      rejected.push({ event: whole, error: err as Error });
      continue;
    }
    const part = partMaker(whole);
    for (const line of lines) if (!skipEmpty || line !== '') events.push(part(line));
  }
  return { events, rejected };
}

function lineOf(event: SluiceEvent, encoding: TextEncoding): string {
  const text = toText(event.value);
  if (/[\r\n]/.test(text)) {
    throw recordError('lines encode: value holds a line break, which would split it in two', undefined, 'E_ENCODE');
  }
  assertEncodable(text, 'lines encode', encoding);
  return text;
}

function encode(batch: readonly SluiceEvent[], encoding: TextEncoding): ProcessResult {
  const lines: string[] = [];
  const written: SluiceEvent[] = [];
  const rejected: Rejected = [];
  for (const event of batch) {
    try {
      lines.push(lineOf(event, encoding));
      written.push(event);
    } catch (err) {
      rejected.push({ event, error: err as Error });
    }
  }
  if (written.length === 0) return { events: [], rejected };
  return { events: [batchEvent(written, Buffer.from(lines.join('\n') + '\n', encoding))], rejected };
}

export default defineProcessor({
  name: 'lines',
  summary: 'Split text into one event per line, or join a batch into one text payload with a line per event.',
  config: z.object({
    action: z
      .enum(['decode', 'encode'])
      .default('decode')
      .describe(
        'decode: each line of a text or bytes value becomes an event holding the line as text ("\\n" or "\\r\\n" ' +
          'ends a line); encode: the whole batch becomes one event with one line per event.',
      ),
    encoding: encodingField,
    skipEmpty: z.boolean().default(false).describe('decode: drop empty lines instead of emitting empty text.'),
  }),
  create: ({ action, encoding, skipEmpty }) => ({
    process: (batch) => (action === 'decode' ? decode(batch, encoding, skipEmpty) : encode(batch, encoding)),
  }),
});
