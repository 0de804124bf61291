import { describe, expect, it } from 'vitest';
import { classifyNetworkError, classifyStatus, parseRetryAfter } from '../../../../connectors/http/classify-error.js';

const what = 'http sink "p": POST http://h/x';
const opts = { authHint: 'check auth.token' };

describe('HTTP status and network error classification', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0.5')).toBe(500);
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:00:00 GMT', now + 5000)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('retries 408, 429 and 5xx, honouring Retry-After', () => {
    for (const status of [408, 429, 500, 502, 503, 504]) {
      const e = classifyStatus({ status, headers: { 'retry-after': '2' }, excerpt: 'busy' }, what, opts);
      expect(e).toMatchObject({ kind: 'retryable', code: 'E_HTTP_STATUS', retryAfterMs: 2000 });
    }
  });

  it('stops the pipeline on 401 and 403 saying which setting to check', () => {
    const e = classifyStatus({ status: 401, headers: {}, excerpt: '' }, what, opts);
    expect(e).toMatchObject({ kind: 'fatal', code: 'E_HTTP_AUTH' });
    expect(e.message).toContain('check auth.token');
  });

  it('rejects the record on any other 4xx with the status and body excerpt', () => {
    const e = classifyStatus({ status: 422, headers: {}, excerpt: '{"error":"bad sku"}' }, what, opts);
    expect(e).toMatchObject({
      kind: 'record',
      code: 'E_HTTP_STATUS',
      details: { status: 422, body: '{"error":"bad sku"}' },
    });
    expect(e.message).toContain('422');
  });

  it('treats a redirect as fatal for a fixed URL and as a record error for a templated one', () => {
    const f = { status: 301, headers: { location: 'https://new.example.com/x?token=s' }, excerpt: '' };
    expect(classifyStatus(f, what, opts).kind).toBe('fatal');
    expect(classifyStatus(f, what, { ...opts, redirectIsRecord: true }).kind).toBe('record');
    expect(classifyStatus(f, what, opts).message).not.toContain('token=s');
  });

  it('retries connection failures and timeouts, and stops on untrusted certificates', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(classifyNetworkError(refused, what)).toMatchObject({ kind: 'retryable', code: 'E_HTTP_NETWORK' });
    const timeout = Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(classifyNetworkError(timeout, what)).toMatchObject({ kind: 'retryable', code: 'E_HTTP_TIMEOUT' });
    const tls = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const wrapped = Object.assign(new Error('fetch failed'), { code: 'UND_ERR_SOCKET', cause: tls });
    expect(classifyNetworkError(wrapped, what)).toMatchObject({ kind: 'fatal', code: 'E_HTTP_TLS' });
    expect(classifyNetworkError(wrapped, what).message).toContain('tls.ca');
  });
});
