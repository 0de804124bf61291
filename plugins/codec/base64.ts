// Base64 text ↔ bytes. Decoding is strict: Node's decoder skips characters it does not know, which would
// turn damaged input into different bytes without a word.
import { type SluiceEvent, toBytes, withValue } from '../../core/event.js';
import { defineProcessor, eachRecordSync, recordError, z } from '../../core/plugin.js';
import { payloadText } from './payload-text.js';

const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/;

function decodeBase64(event: SluiceEvent, urlSafe: boolean): SluiceEvent {
  // Line breaks and spaces are allowed: MIME wraps base64 at 76 columns.
  const text = payloadText(event.value, 'base64 decode', 'latin1').replace(/\s+/g, '');
  const alphabet = urlSafe ? URL_SAFE : STANDARD;
  const padded = text.endsWith('=');
  if (!alphabet.test(text) || text.length % 4 === 1 || (padded && text.length % 4 !== 0)) {
    const expected = urlSafe ? 'A–Z a–z 0–9 - _' : 'A–Z a–z 0–9 + /';
    throw recordError(
      `base64 decode: value is not base64 (expected ${expected} with optional = padding)`,
      undefined,
      'E_DECODE',
    );
  }
  return withValue(event, Buffer.from(text, urlSafe ? 'base64url' : 'base64'));
}

function encodeBase64(event: SluiceEvent, urlSafe: boolean): SluiceEvent {
  const bytes = toBytes(event.value);
  return withValue(
    event,
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(urlSafe ? 'base64url' : 'base64'),
  );
}

export default defineProcessor({
  name: 'base64',
  summary: 'Decode base64 text into bytes, or encode values as base64 text.',
  config: z.object({
    action: z
      .enum(['decode', 'encode'])
      .default('decode')
      .describe(
        'decode: base64 text (or its bytes) becomes the bytes it holds; encode: each value becomes base64 text ' +
          '(text is encoded as UTF-8, other values as their JSON text).',
      ),
    urlSafe: z
      .boolean()
      .default(false)
      .describe('Use the URL-safe alphabet (- and _ instead of + and /); encode writes no = padding.'),
  }),
  create: ({ action, urlSafe }) => {
    const one = action === 'decode' ? decodeBase64 : encodeBase64;
    return { process: (batch) => eachRecordSync(batch, (event) => one(event, urlSafe)) };
  },
});
