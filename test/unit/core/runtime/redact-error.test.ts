import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../../core/config/redactor.js';
import { RecordError, RetryableError } from '../../../../core/errors.js';
import { createEvent } from '../../../../core/event.js';
import { DLQ_HEADERS, deadLetter } from '../../../../core/runtime/dead-letter.js';
import { redactError } from '../../../../core/runtime/redact-error.js';

const SECRET = 'canary-Details-9Vq2Rk';

function redactor(): Redactor {
  const r = new Redactor();
  r.add(SECRET);
  return r;
}

describe('redactError', () => {
  it('masks a secret in the details, which become the sluice-error-details header', () => {
    const error = new RecordError('receiver refused the record', {
      code: 'E_HTTP_STATUS',
      details: { status: 400, excerpt: `{"youSent":{"authorization":"Bearer ${SECRET}"}}`, nested: { token: SECRET } },
    });
    const dead = deadLetter(createEvent({ value: 1 }), redactError(error, redactor()), {
      pipeline: 'p',
      component: 'sink',
    });
    const header = dead.headers?.[DLQ_HEADERS.details] ?? '';
    expect(header).not.toContain(SECRET);
    expect(JSON.parse(header)).toEqual({
      status: 400,
      excerpt: '{"youSent":{"authorization":"Bearer ***"}}',
      nested: { token: '***' },
    });
    expect(dead.headers?.[DLQ_HEADERS.code]).toBe('E_HTTP_STATUS');
    expect(dead.headers?.[DLQ_HEADERS.kind]).toBe('record');
  });

  it('masks the message and keeps kind, code and retry delay', () => {
    const out = redactError(new RetryableError(`login failed for ${SECRET}`, { retryAfterMs: 500 }), redactor());
    expect(out).toEqual({
      name: 'RetryableError',
      code: 'E_RETRYABLE',
      kind: 'retryable',
      message: 'login failed for ***',
      retryAfterMs: 500,
    });
  });

  it('leaves an error without secrets as it was', () => {
    const error = new RecordError('bad value', { details: { field: 'x' } });
    expect(redactError(error, redactor())).toBe(error);
  });
});
