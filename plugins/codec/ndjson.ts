// Newline-delimited JSON: a batch of events ↔ one payload with one JSON document per line. Decoding rejects
// only the lines that are not JSON; the others go on. With `envelope`, each line is a whole event (key, value,
// ts, headers) and a batch comes back exactly as it was written.
import { type EventValue, parseEvent, type SluiceEvent, serializeEvent } from '../../core/event.js';
import { defineProcessor, type ProcessResult, recordError, z } from '../../core/plugin.js';
import { batchEvent, partMaker } from './batch-event.js';
import { jsonText, parseJson } from './json.js';
import { payloadText, withoutBom } from './payload-text.js';
import { splitLines } from './split-lines.js';

type Rejected = NonNullable<ProcessResult['rejected']>;

function parseEnvelope(line: string, lineNumber: number): SluiceEvent {
  try {
    return parseEvent(line);
  } catch (err) {
    throw recordError(`ndjson decode: line ${lineNumber} is not an event (${(err as Error).message})`, err, 'E_DECODE');
  }
}

function envelopeLine(event: SluiceEvent): string {
  try {
    return serializeEvent(event);
  } catch (err) {
    throw recordError(`ndjson encode: event cannot be written as JSON (${(err as Error).message})`, err, 'E_ENCODE');
  }
}

function decodeInto(whole: SluiceEvent, envelope: boolean, events: SluiceEvent[], rejected: Rejected): void {
  let lines: string[];
  try {
    lines = splitLines(withoutBom(payloadText(whole.value, 'ndjson decode')));
  } catch (err) {
    rejected.push({ event: whole, error: err as Error });
    return;
  }
  const part = partMaker(whole);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    try {
      events.push(envelope ? parseEnvelope(line, i + 1) : part(parseJson(line, `ndjson decode: line ${i + 1}`)));
    } catch (err) {
      rejected.push({ event: part(line), error: err as Error });
    }
  }
}

function encode(batch: readonly SluiceEvent[], envelope: boolean): ProcessResult {
  const lines: string[] = [];
  const written: SluiceEvent[] = [];
  const rejected: Rejected = [];
  for (const event of batch) {
    try {
      lines.push(envelope ? envelopeLine(event) : jsonText(event.value, 'ndjson encode'));
      written.push(event);
    } catch (err) {
      rejected.push({ event, error: err as Error });
    }
  }
  if (written.length === 0) return { events: [], rejected };
  const payload: EventValue = Buffer.from(lines.join('\n') + '\n', 'utf8');
  return { events: [batchEvent(written, payload)], rejected };
}

export default defineProcessor({
  name: 'ndjson',
  summary: 'Split newline-delimited JSON into one event per line, or join a batch into one NDJSON payload.',
  config: z.object({
    action: z
      .enum(['decode', 'encode'])
      .default('decode')
      .describe(
        'decode: each line of a text or bytes value becomes an event (blank lines are skipped, a line that is not ' +
          'JSON is a record error); encode: the whole batch becomes one event holding one line per event.',
      ),
    envelope: z
      .boolean()
      .default(false)
      .describe(
        'Lines hold whole events ({"key","value","ts","headers"}) instead of values only, so keys, times and ' +
          'headers survive the trip.',
      ),
  }),
  create: ({ action, envelope }) => ({
    process(batch) {
      if (action === 'encode') return encode(batch, envelope);
      const events: SluiceEvent[] = [];
      const rejected: Rejected = [];
      for (const whole of batch) decodeInto(whole, envelope, events, rejected);
      return { events, rejected };
    },
  }),
});
