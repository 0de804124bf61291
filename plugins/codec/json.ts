// JSON text or bytes ↔ values. Bytes nested in a value travel as { "$bytes": base64 } (the same form events
// are stored in), so encoding then decoding gives back exactly what went in.
import {
  type EventValue,
  type SluiceEvent,
  storedValueJson,
  valueFromJsonText,
  valueToJson,
  withValue,
} from '../../core/event.js';
import { defineProcessor, eachRecordSync, recordError, z } from '../../core/plugin.js';
import { utf8Text, withoutBom } from './payload-text.js';

/** Parses JSON text, restoring tagged bytes; `what` names the processor in errors. */
export function parseJson(text: string, what: string): EventValue {
  try {
    return valueFromJsonText(text);
  } catch (err) {
    throw recordError(`${what}: value is not JSON (${(err as Error).message})`, err, 'E_DECODE');
  }
}

/** JSON text of a value, bytes tagged; `what` names the processor in errors. */
export function jsonText(value: EventValue, what: string): string {
  try {
    return JSON.stringify(valueToJson(value)) ?? 'null';
  } catch (err) {
    throw recordError(`${what}: value cannot be written as JSON (${(err as Error).message})`, err, 'E_ENCODE');
  }
}

function decode(event: SluiceEvent): SluiceEvent {
  // A structured value still in its stored JSON text is decoded already: it passes through without being parsed.
  if (storedValueJson(event) !== undefined) return event;
  const { value } = event;
  if (value instanceof Uint8Array)
    return withValue(event, parseJson(utf8Text(value, 'json decode', true), 'json decode'));
  if (typeof value === 'string') return withValue(event, parseJson(withoutBom(value), 'json decode'));
  return event;
}

const encode = (event: SluiceEvent): SluiceEvent =>
  withValue(event, Buffer.from(jsonText(event.value, 'json encode'), 'utf8'));

export default defineProcessor({
  name: 'json',
  summary: 'Decode JSON text or bytes into values, or encode values as UTF-8 JSON bytes.',
  config: z.object({
    action: z
      .enum(['decode', 'encode'])
      .default('decode')
      .describe(
        'decode: text or bytes become the JSON value they hold (values that are not text or bytes pass through); ' +
          'encode: each value becomes UTF-8 JSON bytes.',
      ),
  }),
  create: ({ action }) => {
    const one = action === 'decode' ? decode : encode;
    return { process: (batch) => eachRecordSync(batch, one) };
  },
});
