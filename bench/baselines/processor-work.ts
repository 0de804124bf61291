// The processor work of the scenarios written plainly with Node's own zlib and crypto, as a hand-written
// program would do it: the measure of what the processors themselves cost. Used by the bare loop, the raw and
// the naive baselines, and the per-processor comparison.
import { createCipheriv, createDecipheriv, createSecretKey, randomFillSync } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

/** The AES-256 key every scenario and baseline uses; pipelines read it from {@link AES_KEY_ENV}. */
export const AES_KEY = Buffer.alloc(32, 7);
/** The environment variable, set for every Sluice process of the bench, that holds the key as base64. */
export const AES_KEY_ENV = 'SLUICE_BENCH_AES_KEY';
process.env[AES_KEY_ENV] = AES_KEY.toString('base64');

export const jsonEncode = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');
export const jsonDecode = (bytes: Buffer | string): unknown => JSON.parse(bytes.toString());
export const gzip1 = (bytes: Buffer): Buffer => gzipSync(bytes, { level: 1 });
export const gunzip = (bytes: Buffer): Buffer => gunzipSync(bytes);

// What a careful hand-written program does too: the key as a KeyObject made once, and random nonces taken from
// a pool filled 1024 at a time rather than one getrandom call per message.
const KEY = createSecretKey(AES_KEY);
const nonces = Buffer.alloc(12 * 1024);
let nonceAt = nonces.length;
function nonce(): Buffer {
  if (nonceAt === nonces.length) {
    randomFillSync(nonces);
    nonceAt = 0;
  }
  nonceAt += 12;
  return nonces.subarray(nonceAt - 12, nonceAt);
}

/** AES-256-GCM with a fresh random 96-bit nonce: nonce ‖ ciphertext ‖ 16-byte tag. */
export function encrypt(bytes: Buffer): Buffer {
  const iv = nonce();
  const cipher = createCipheriv('aes-256-gcm', KEY, iv);
  const body = cipher.update(bytes);
  const final = cipher.final();
  return Buffer.concat([iv, body, final, cipher.getAuthTag()]);
}

export function decrypt(bytes: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', KEY, bytes.subarray(0, 12));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
}

/** Scenario 1's chain on one value: JSON encode, gzip level 1, AES-256-GCM. */
export const encodeCompressEncrypt = (value: unknown): Buffer => encrypt(gzip1(jsonEncode(value)));

/** The per-batch chain on a whole NDJSON text: gzip level 1 once, AES-256-GCM once. */
export const compressEncryptBatch = (ndjson: string): Buffer => encrypt(gzip1(Buffer.from(ndjson, 'utf8')));

/** One delivered event as the receiver gets it (the shape of the http sink's `body: event`): bytes as base64. */
export function deliveredLine(key: string | null, value: unknown, ts: number): string {
  const json = Buffer.isBuffer(value) ? `{"$bytes":"${value.toString('base64')}"}` : JSON.stringify(value);
  return `{"key":${JSON.stringify(key)},"value":${json},"ts":${ts}}`;
}
