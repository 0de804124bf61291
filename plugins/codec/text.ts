// Bytes ↔ text, one event at a time.
import { type SluiceEvent, toText, withValue } from '../../core/event.js';
import { defineProcessor, eachRecordSync, z } from '../../core/plugin.js';
import { encodingField, payloadText, type TextEncoding, textBytes } from './payload-text.js';

export default defineProcessor({
  name: 'text',
  summary: 'Decode bytes into text, or encode text as bytes.',
  config: z.object({
    action: z
      .enum(['decode', 'encode'])
      .default('decode')
      .describe(
        'decode: bytes become text (text passes through, other values become their JSON text); ' +
          'encode: each value becomes bytes (values that are not text are written as their JSON text).',
      ),
    encoding: encodingField,
  }),
  create: ({ action, encoding }) => {
    const decode = (event: SluiceEvent): SluiceEvent =>
      typeof event.value === 'string' ? event : withValue(event, textOf(event, encoding));
    const encode = (event: SluiceEvent): SluiceEvent =>
      event.value instanceof Uint8Array
        ? event
        : withValue(event, textBytes(toText(event.value), 'text encode', encoding));
    const one = action === 'decode' ? decode : encode;
    return { process: (batch) => eachRecordSync(batch, one) };
  },
});

function textOf(event: SluiceEvent, encoding: TextEncoding): string {
  return event.value instanceof Uint8Array ? payloadText(event.value, 'text decode', encoding) : toText(event.value);
}
