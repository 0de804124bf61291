import { describe, expect, it } from 'vitest';
import { errorKind, FatalError, RecordError, RetryableError, toSluiceError } from '../../../core/errors.js';

describe('errors', () => {
  it('keeps kind, code and retry-after through JSON, as across a queue or a process', () => {
    const original = new RetryableError('HTTP 429 from api.example', {
      code: 'E_HTTP_STATUS',
      retryAfterMs: 1500,
      details: { status: 429 },
    });
    const back = toSluiceError(JSON.parse(JSON.stringify(original)));
    expect(back.kind).toBe('retryable');
    expect(back.code).toBe('E_HTTP_STATUS');
    expect(back.retryAfterMs).toBe(1500);
    expect(back.details).toEqual({ status: 429 });
    expect(back.message).toBe('HTTP 429 from api.example');
  });

  it('decides on kind, not class', () => {
    expect(errorKind({ kind: 'record', message: 'x' })).toBe('record');
    expect(errorKind(new FatalError('bad password'))).toBe('fatal');
    expect(errorKind(new RecordError('bad json'))).toBe('record');
  });

  it('treats unknown errors as retryable, bounded by the retry policy', () => {
    expect(errorKind(new Error('ECONNRESET'))).toBe('retryable');
    expect(errorKind('boom')).toBe('retryable');
  });

  it('makes a stack overflow a record error of the one event, not a retryable one', () => {
    let overflow: unknown;
    const dive = (n: number): number => dive(n + 1) + 1;
    try {
      dive(0);
    } catch (err) {
      overflow = err;
    }
    expect(overflow).toBeInstanceOf(RangeError);
    expect(errorKind(overflow)).toBe('record');
    const e = toSluiceError(overflow);
    expect(e.kind).toBe('record');
    expect(e.code).toBe('E_TOO_DEEP');
    expect(e.message).toMatch(/nested too deeply/);
    expect(errorKind(new RangeError('Invalid array length'))).toBe('retryable');
  });
});
