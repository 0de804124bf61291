// Translates what an HTTP exchange can go wrong with (undici and socket errors, response statuses) into the
// three error kinds at the connector's edge: the runtime then owns the retry policy.
import { FatalError, RecordError, RetryableError, type SluiceError } from '../../core/errors.js';

// Certificate problems cannot heal by retrying: the trust configuration has to change.
const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Milliseconds to wait from a `Retry-After` value (delay in seconds or an HTTP date); undefined when absent or
 * unreadable. A date in the past means "now".
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const at = Date.parse(s);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  // undici wraps socket errors; the useful code may sit one or two causes down.
  for (let depth = 0; depth < 3 && e !== null && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET' && code !== 'UND_ERR_CONNECT') return code;
    e = (e as { cause?: unknown }).cause;
  }
  const top = (err as { code?: unknown } | null)?.code;
  return typeof top === 'string' ? top : undefined;
}

/**
 * A failed exchange that produced no response: certificate problems are fatal (say which setting to fix),
 * everything else (refused, reset, timeouts, DNS) is retryable.
 */
export function classifyNetworkError(err: unknown, what: string): SluiceError {
  const code = errorCode(err) ?? (err as { name?: string } | null)?.name ?? 'unknown';
  const reason = err instanceof Error ? err.message : String(err);
  if (TLS_TRUST_CODES.has(code)) {
    return new FatalError(
      `${what}: the server certificate is not trusted (${code}: ${reason}); give its CA in tls.ca or fix the certificate`,
      { code: 'E_HTTP_TLS', cause: err },
    );
  }
  if (/ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_UNKNOWN)/.test(code)) {
    return new FatalError(`${what}: the server refused our client certificate (${code}); check tls.cert and tls.key`, {
      code: 'E_HTTP_TLS',
      cause: err,
    });
  }
  const timeout = /TIMEOUT/i.test(code) || code === 'TimeoutError';
  return new RetryableError(`${what}: ${timeout ? 'timed out' : 'network error'} (${code}: ${reason})`, {
    code: timeout ? 'E_HTTP_TIMEOUT' : 'E_HTTP_NETWORK',
    cause: err,
  });
}

export interface StatusFailure {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The first bytes of the response body, as text. */
  excerpt: string;
}

/** True for the statuses that a later attempt can succeed on. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * A non-2xx response: 408/429/5xx retryable (honouring Retry-After), 401/403 fatal (credentials), 3xx fatal
 * for a fixed URL, anything else a record error carrying the status and an excerpt of the body.
 */
export function classifyStatus(
  failure: StatusFailure,
  what: string,
  options: { authHint: string; redirectIsRecord?: boolean },
): SluiceError {
  const { status, headers, excerpt } = failure;
  const details = { status, body: excerpt };
  const said = excerpt ? `: ${excerpt}` : '';
  if (isRetryableStatus(status)) {
    const retryAfterMs = parseRetryAfter(headers['retry-after']);
    return new RetryableError(`${what} answered ${status}${said}`, {
      code: 'E_HTTP_STATUS',
      details,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (status === 401 || status === 403) {
    return new FatalError(`${what} answered ${status} (credentials refused)${said}; ${options.authHint}`, {
      code: 'E_HTTP_AUTH',
      details,
    });
  }
  if (status >= 300 && status < 400) {
    const location = headers.location ? ` to ${String(headers.location).split('?')[0]}` : '';
    const message = `${what} redirects${location} (${status}); redirects are not followed: use the final URL`;
    return options.redirectIsRecord
      ? new RecordError(message, { code: 'E_HTTP_REDIRECT', details })
      : new FatalError(message, { code: 'E_HTTP_REDIRECT', details });
  }
  return new RecordError(`${what} refused the request with ${status}${said}`, { code: 'E_HTTP_STATUS', details });
}

const EXCERPT_BYTES = 512;
// Past the excerpt, read on (and discard) at most this much so that the connection can be reused; a longer
// body is cut off, which closes the socket.
const DRAIN_LIMIT = 64 * 1024;

/** Reads the first bytes of an error response as text and discards the rest. */
export async function readExcerpt(body: AsyncIterable<Buffer | Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let seen = 0;
  try {
    for await (const chunk of body) {
      seen += chunk.byteLength;
      if (kept < EXCERPT_BYTES) {
        chunks.push(Buffer.from(chunk));
        kept += chunk.byteLength;
      }
      if (seen > DRAIN_LIMIT) break;
    }
  } catch {
    // A body cut short still leaves the status to report; the excerpt is best effort.
  }
  const text = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8').replace(/\s+/g, ' ').trim();
  return seen > EXCERPT_BYTES ? `${text}…` : text;
}
