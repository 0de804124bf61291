// The AES-256-GCM ciphertext layout, version 1:
//
//   byte 0        version (1)
//   byte 1        flags: bits 0–1 what the value was (0 bytes, 1 UTF-8 text, 2 JSON), bit 2 the event key is
//                 bound as additional authenticated data; other bits 0
//   byte 2        key id length n (1–255)
//   bytes 3…      key id, UTF-8 (n bytes)
//   12 bytes      IV, random for every message
//   16 bytes      GCM authentication tag
//   the rest      ciphertext
//
// The additional authenticated data is the header (bytes 0 to 3+n) followed, when bit 2 is set, by the event
// key (0x00 for none, or 0x01 and its UTF-8 bytes): changing the header, the data, or (when bound) moving the
// ciphertext to another key all fail authentication.
import { createCipheriv, createDecipheriv, type KeyObject, randomFillSync } from 'node:crypto';
import { type EventValue, valueFromJson, valueToJson } from '../../core/event.js';
import { recordError } from '../../core/plugin.js';

export const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KIND_BYTES = 0;
const KIND_TEXT = 1;
const KIND_JSON = 2;
const FLAG_KEY_BOUND = 0x04;
const KNOWN_FLAGS = 0x07;

// Random IVs come from a pool filled in bulk: one getrandom call per 1024 messages instead of one each.
const ivPool = Buffer.alloc(IV_BYTES * 1024);
let ivOffset = ivPool.length;
function nextIv(): Buffer {
  if (ivOffset === ivPool.length) {
    randomFillSync(ivPool);
    ivOffset = 0;
  }
  ivOffset += IV_BYTES;
  return ivPool.subarray(ivOffset - IV_BYTES, ivOffset);
}

// With the u flag a surrogate pair is one code point, so this matches unpaired surrogates only.
const UNPAIRED_SURROGATE = /[\uD800-\uDFFF]/u;

function plaintextOf(value: EventValue): { kind: number; bytes: Uint8Array } {
  if (value instanceof Uint8Array) return { kind: KIND_BYTES, bytes: value };
  // Text UTF-8 cannot carry exactly (an unpaired surrogate) goes as JSON, which escapes it.
  if (typeof value === 'string' && !UNPAIRED_SURROGATE.test(value)) {
    return { kind: KIND_TEXT, bytes: Buffer.from(value, 'utf8') };
  }
  return { kind: KIND_JSON, bytes: Buffer.from(JSON.stringify(valueToJson(value)) ?? 'null', 'utf8') };
}

function keyAad(eventKey: string | null): Buffer {
  return eventKey === null ? Buffer.of(0) : Buffer.concat([Buffer.of(1), Buffer.from(eventKey, 'utf8')]);
}

/**
 * Encrypts `value` into the layout above with `key`, named by `keyIdBytes` (its UTF-8 id, 1–255 bytes);
 * `bindKey` authenticates `eventKey` with it.
 */
export function seal(
  value: EventValue,
  eventKey: string | null,
  keyIdBytes: Buffer,
  key: KeyObject,
  bindKey: boolean,
): Buffer {
  const { kind, bytes } = plaintextOf(value);
  const header = Buffer.allocUnsafe(3 + keyIdBytes.length);
  header[0] = VERSION;
  header[1] = kind | (bindKey ? FLAG_KEY_BOUND : 0);
  header[2] = keyIdBytes.length;
  keyIdBytes.copy(header, 3);
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(bindKey ? Buffer.concat([header, keyAad(eventKey)]) : header);
  const body = cipher.update(bytes);
  const last = cipher.final();
  return Buffer.concat([header, iv, cipher.getAuthTag(), body, last]);
}

export interface OpenOptions {
  /** Key material by key id. */
  keys: ReadonlyMap<string, KeyObject>;
  /** Refuse ciphertexts that do not bind the event key. */
  requireBoundKey: boolean;
}

const fail = (message: string, code = 'E_DECRYPT', cause?: unknown) =>
  recordError(`aes-gcm decrypt: ${message}`, cause, code);

/** Decrypts a ciphertext in the layout above back into the value that was encrypted. */
export function open(data: Uint8Array, eventKey: string | null, options: OpenOptions): EventValue {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.length < 3) throw fail('value is too short to be a ciphertext');
  if (bytes[0] !== VERSION) {
    throw fail(`ciphertext has layout version ${bytes[0]}, this version reads ${VERSION}; was it written by aes-gcm?`);
  }
  const flags = bytes[1];
  const kind = flags & 0x03;
  const isBound = (flags & FLAG_KEY_BOUND) !== 0;
  if ((flags & ~KNOWN_FLAGS) !== 0 || kind > KIND_JSON) throw fail('ciphertext header has unknown flags');
  const idLength = bytes[2];
  const headerLength = 3 + idLength;
  if (idLength === 0 || bytes.length < headerLength + IV_BYTES + TAG_BYTES) throw fail('ciphertext is truncated');
  const keyId = bytes.toString('utf8', 3, headerLength);
  const key = options.keys.get(keyId);
  if (!key) {
    throw fail(
      `value was encrypted with key id ${JSON.stringify(keyId)}, which is not among the configured keys; add that key`,
      'E_DECRYPT_UNKNOWN_KEY',
    );
  }
  if (options.requireBoundKey && !isBound) {
    throw fail('value was encrypted without bindKey, but bindKey is required here');
  }
  const header = bytes.subarray(0, headerLength);
  const ivEnd = headerLength + IV_BYTES;
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(headerLength, ivEnd));
  decipher.setAAD(isBound ? Buffer.concat([header, keyAad(eventKey)]) : header);
  decipher.setAuthTag(bytes.subarray(ivEnd, ivEnd + TAG_BYTES));
  let plaintext: Buffer;
  try {
    plaintext = Buffer.concat([decipher.update(bytes.subarray(ivEnd + TAG_BYTES)), decipher.final()]);
  } catch (err) {
    const moved = isBound ? ', moved from an event with another key,' : '';
    throw fail(
      `authentication failed with key ${JSON.stringify(keyId)}: the data was altered${moved} or encrypted with other key material under that id`,
      'E_DECRYPT',
      err,
    );
  }
  if (kind === KIND_BYTES) return plaintext;
  const text = plaintext.toString('utf8');
  if (kind === KIND_TEXT) return text;
  const parsed: unknown = JSON.parse(text);
  return text.includes('"$bytes"') ? valueFromJson(parsed) : parsed;
}
