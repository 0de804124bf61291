// Reading an event value as text and writing text as bytes, for the text-based codecs. Both directions refuse
// what they cannot carry exactly (invalid UTF-8, unpaired surrogates, characters outside Latin-1) instead of
// replacing it silently.
import type { EventValue } from '../../core/event.js';
import { recordError, z } from '../../core/plugin.js';

export const textEncodings = ['utf8', 'latin1', 'utf16le'] as const;
export type TextEncoding = (typeof textEncodings)[number];

export const encodingField = z
  .enum(textEncodings)
  .default('utf8')
  .describe('Character encoding of the bytes: utf8 (invalid sequences are record errors), latin1 or utf16le.');

function kindOf(value: EventValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The value as text: strings as they are, bytes decoded. Anything else is a record error naming `what`. */
export function payloadText(value: EventValue, what: string, encoding: TextEncoding = 'utf8'): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array)
    return encoding === 'utf8' ? utf8Text(value, what) : asBuffer(value).toString(encoding);
  throw recordError(`${what}: expected text or bytes, got ${kindOf(value)}`, undefined, 'E_DECODE');
}

const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

// Decoding and checking in one native pass: Buffer#toString followed by a look for U+FFFD cost about 25 ns more
// per 200-byte value, a quarter of what the json decoder adds to JSON.parse itself.
const keepingBom = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const droppingBom = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes as UTF-8 text; invalid UTF-8 is a record error naming `what`. A leading byte-order mark is kept, unless
 * `dropBom` (then it goes in the same pass, rather than by a copy of the text).
 */
export function utf8Text(bytes: Uint8Array, what: string, dropBom = false): string {
  try {
    return (dropBom ? droppingBom : keepingBom).decode(bytes);
  } catch (err) {
    throw recordError(
      `${what}: value is not valid UTF-8 text; set encoding if the data uses another one`,
      err,
      'E_DECODE',
    );
  }
}

// With the u flag a surrogate pair is one code point, so this matches unpaired surrogates only.
const UNPAIRED_SURROGATE = /[\uD800-\uDFFF]/u;

/** Throws a record error naming `what` when `text` holds a character that `encoding` cannot carry. */
export function assertEncodable(text: string, what: string, encoding: TextEncoding): void {
  if (encoding === 'utf8' && UNPAIRED_SURROGATE.test(text)) {
    throw recordError(`${what}: text holds an unpaired surrogate, which UTF-8 cannot carry`, undefined, 'E_ENCODE');
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is the point
  if (encoding === 'latin1' && /[^\u0000-\u00ff]/.test(text)) {
    throw recordError(`${what}: text holds characters outside Latin-1; use encoding utf8`, undefined, 'E_ENCODE');
  }
}

/** Text as bytes in `encoding`; a character the encoding cannot hold is a record error naming `what`. */
export function textBytes(text: string, what: string, encoding: TextEncoding = 'utf8'): Buffer {
  assertEncodable(text, what, encoding);
  return Buffer.from(text, encoding);
}

/** Text without a leading byte-order mark (JSON and CSV files saved by some editors start with one). */
export const withoutBom = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
