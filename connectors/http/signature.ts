// HMAC-SHA256 request signatures: the sender signs `<timestamp>.<body>` (the body exactly as sent, compressed
// if it is) with a shared secret and sends the timestamp and `sha256=<hex>` in two headers. A signature is
// accepted once, and only while its timestamp is within the tolerance of our clock.
import { createHash, createHmac, type Hmac, timingSafeEqual } from 'node:crypto';
import { parseTimestamp } from '../../core/event.js';
import { RequestRefused } from './request-refused.js';

export interface SignatureOptions {
  secret: string;
  /** Header holding `sha256=<hex>` (or the bare hex). */
  header: string;
  /** Header holding the signing time, epoch seconds (or milliseconds). */
  timestampHeader: string;
  toleranceMs: number;
}

/** The signature header value for `body` signed at `timestamp`: what a sender computes. */
export function signPayload(secret: string, timestamp: string, body: Uint8Array | string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export interface PendingSignature {
  /** Feeds body bytes as they arrive. */
  update(chunk: Buffer): void;
  /** Checks the signature over everything fed; refuses with 401 when it does not match. */
  verify(): void;
  /** A digest of the signature, for remembering it was used. */
  readonly replayId: string;
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

const unauthorized = (why: string) => new RequestRefused(401, `signature refused: ${why}`);

/**
 * Checks the signature headers before the body is read (present, well-formed, timestamp fresh) and starts the
 * HMAC; the body then streams through `update` and `verify` decides.
 */
export function beginSignatureCheck(
  headers: Record<string, string | string[] | undefined>,
  options: SignatureOptions,
  now: number = Date.now(),
): PendingSignature {
  const provided = headerValue(headers, options.header);
  const timestamp = headerValue(headers, options.timestampHeader);
  if (!provided) throw unauthorized(`the ${options.header} header is missing`);
  if (!timestamp) throw unauthorized(`the ${options.timestampHeader} header is missing`);
  const signedAt = parseTimestamp(timestamp);
  if (signedAt === undefined) throw unauthorized(`${options.timestampHeader} is not a timestamp`);
  if (Math.abs(now - signedAt) > options.toleranceMs) {
    throw unauthorized(
      `the signature timestamp is ${Math.round((now - signedAt) / 1000)} s away from our clock, over the ${options.toleranceMs / 1000} s tolerance`,
    );
  }
  const hex = provided.trim().replace(/^sha256=/i, '');
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw unauthorized(`${options.header} is not sha256=<64 hex digits>`);
  const expected: Hmac = createHmac('sha256', options.secret).update(`${timestamp}.`);
  return {
    update: (chunk) => {
      expected.update(chunk);
    },
    verify() {
      const ok = timingSafeEqual(expected.digest(), Buffer.from(hex, 'hex'));
      if (!ok) throw unauthorized('it does not match the body and timestamp');
    },
    replayId: createHash('sha256').update(hex.toLowerCase()).digest('hex'),
  };
}
