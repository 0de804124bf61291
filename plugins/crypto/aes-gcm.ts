// AES-256-GCM encryption of event values, with key rotation: every ciphertext names the key that made it
// (layout in aes-gcm-ciphertext.ts), new data uses `currentKey`, and old data decrypts as long as its key is
// still listed. Key material comes only from the config loader's ${NAME}/${file:…} interpolation, is marked
// secret, and never appears in messages.
import { createSecretKey, type KeyObject } from 'node:crypto';
import type { SluiceEvent } from '../../core/event.js';
import { withValue } from '../../core/event.js';
import { defineProcessor, eachRecordSync, recordError, secret, z } from '../../core/plugin.js';
import { open, seal } from './aes-gcm-ciphertext.js';
import { parseKeyMaterial } from './key-material.js';

const KEY_ID = /^[A-Za-z0-9._:-]{1,64}$/;

const config = z
  .object({
    action: z
      .enum(['encrypt', 'decrypt'])
      .default('encrypt')
      .describe(
        'encrypt: each value becomes ciphertext bytes; decrypt: ciphertext becomes the value that was encrypted.',
      ),
    keys: z
      .record(
        z.string().regex(KEY_ID, 'a key id is 1–64 letters, digits, ".", "_", ":" or "-"'),
        secret(
          z
            .string()
            .refine(
              (text) => parseKeyMaterial(text) !== undefined,
              'a key must be 32 bytes, as base64 or 64 hex digits',
            )
            .describe('32 bytes of key material, base64 or hex.'),
          { referenceOnly: true },
        ),
      )
      .refine((keys) => Object.keys(keys).length > 0, 'give at least one key')
      .describe(
        'Keys by id, each 32 bytes as base64 or 64 hex digits, given as ${NAME} or ${file:path} (never written ' +
          'in the file). The id travels with each ciphertext, so data encrypted with an older key still decrypts.',
      ),
    currentKey: z
      .string()
      .optional()
      .describe('encrypt: id of the key that encrypts new data (required when there are several keys).'),
    bindKey: z
      .boolean()
      .default(false)
      .describe(
        'Authenticate the event key with the ciphertext (additional authenticated data): a ciphertext moved to an ' +
          'event with another key fails to decrypt. When decrypting, refuse ciphertexts made without it.',
      ),
  })
  .superRefine((c, ctx) => {
    const ids = Object.keys(c.keys);
    if (c.currentKey !== undefined && !ids.includes(c.currentKey)) {
      ctx.addIssue({
        code: 'custom',
        path: ['currentKey'],
        message: `currentKey ${JSON.stringify(c.currentKey)} is not one of keys (${ids.join(', ')})`,
      });
    }
    if (c.action === 'encrypt' && c.currentKey === undefined && ids.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['currentKey'],
        message: `with several keys, say which one encrypts: currentKey (one of ${ids.join(', ')})`,
      });
    }
  });

export default defineProcessor({
  name: 'aes-gcm',
  summary: 'Encrypt values with AES-256-GCM (random IV, key id carried, rotation), or decrypt them.',
  config,
  create: (c) => {
    const keys = new Map<string, KeyObject>();
    for (const [id, text] of Object.entries(c.keys)) keys.set(id, createSecretKey(parseKeyMaterial(text)!));
    if (c.action === 'decrypt') {
      const options = { keys, requireBoundKey: c.bindKey };
      const decrypt = (event: SluiceEvent): SluiceEvent => {
        if (!(event.value instanceof Uint8Array)) {
          throw recordError('aes-gcm decrypt: expected ciphertext bytes', undefined, 'E_DECRYPT');
        }
        return withValue(event, open(event.value, event.key, options));
      };
      return { process: (batch) => eachRecordSync(batch, decrypt) };
    }
    const keyId = c.currentKey ?? Object.keys(c.keys)[0];
    const keyIdBytes = Buffer.from(keyId, 'utf8');
    const key = keys.get(keyId)!;
    const encrypt = (event: SluiceEvent): SluiceEvent => {
      try {
        return withValue(event, seal(event.value, event.key, keyIdBytes, key, c.bindKey));
      } catch (err) {
        throw recordError(`aes-gcm encrypt: value cannot be encrypted (${(err as Error).message})`, err, 'E_ENCRYPT');
      }
    };
    return { process: (batch) => eachRecordSync(batch, encrypt) };
  },
});
