import { describe, expect, it } from 'vitest';
import { createBearerCheck } from '../../../../connectors/http/bearer-token.js';
import { beginSignatureCheck, signPayload } from '../../../../connectors/http/signature.js';

const options = {
  secret: 'k'.repeat(32),
  header: 'x-signature',
  timestampHeader: 'x-signature-timestamp',
  toleranceMs: 300_000,
};
const now = 1_714_557_600_000;
const ts = String(now / 1000);

function check(headers: Record<string, string>, body: string, at = now) {
  const pending = beginSignatureCheck(headers, options, at);
  pending.update(Buffer.from(body));
  pending.verify();
  return pending;
}

describe('HMAC-SHA256 request signatures', () => {
  it('accepts the signature of timestamp and body, with or without the sha256= prefix', () => {
    const sig = signPayload(options.secret, ts, 'hello');
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(() => check({ 'x-signature': sig, 'x-signature-timestamp': ts }, 'hello')).not.toThrow();
    expect(() =>
      check({ 'x-signature': sig.slice(7).toUpperCase(), 'x-signature-timestamp': ts }, 'hello'),
    ).not.toThrow();
  });

  it('verifies a body fed in several chunks', () => {
    const sig = signPayload(options.secret, ts, 'hello world');
    const pending = beginSignatureCheck({ 'x-signature': sig, 'x-signature-timestamp': ts }, options, now);
    pending.update(Buffer.from('hello '));
    pending.update(Buffer.from('world'));
    expect(() => pending.verify()).not.toThrow();
  });

  it('refuses another body, another timestamp or another secret with 401', () => {
    const sig = signPayload(options.secret, ts, 'hello');
    expect(() => check({ 'x-signature': sig, 'x-signature-timestamp': ts }, 'hellO')).toThrow(
      expect.objectContaining({ status: 401 }),
    );
    expect(() => check({ 'x-signature': sig, 'x-signature-timestamp': String(now / 1000 + 1) }, 'hello')).toThrow(
      /does not match/,
    );
    const other = signPayload('z'.repeat(32), ts, 'hello');
    expect(() => check({ 'x-signature': other, 'x-signature-timestamp': ts }, 'hello')).toThrow(/does not match/);
  });

  it('refuses a timestamp outside the tolerance, in the past or the future, before the body is read', () => {
    const sig = signPayload(options.secret, ts, 'x');
    const headers = { 'x-signature': sig, 'x-signature-timestamp': ts };
    expect(() => beginSignatureCheck(headers, options, now + 301_000)).toThrow(/tolerance/);
    expect(() => beginSignatureCheck(headers, options, now - 301_000)).toThrow(/tolerance/);
    expect(() => beginSignatureCheck(headers, options, now + 299_000)).not.toThrow();
  });

  it('refuses missing or malformed headers', () => {
    expect(() => beginSignatureCheck({ 'x-signature-timestamp': ts }, options, now)).toThrow(
      /x-signature header is missing/,
    );
    expect(() =>
      beginSignatureCheck({ 'x-signature': 'sha256=abc', 'x-signature-timestamp': ts }, options, now),
    ).toThrow(/64 hex/);
    expect(() =>
      beginSignatureCheck({ 'x-signature': 'a'.repeat(64), 'x-signature-timestamp': 'noon' }, options, now),
    ).toThrow(/not a timestamp/);
  });

  it('gives the same replay id to the same signature however it is written', () => {
    const sig = signPayload(options.secret, ts, 'x');
    const a = beginSignatureCheck({ 'x-signature': sig, 'x-signature-timestamp': ts }, options, now);
    const b = beginSignatureCheck(
      { 'x-signature': sig.slice(7).toUpperCase(), 'x-signature-timestamp': ts },
      options,
      now,
    );
    expect(a.replayId).toBe(b.replayId);
  });
});

describe('bearer tokens', () => {
  const check = createBearerCheck(['alpha', 'beta']);

  it('accepts any configured token and nothing else', () => {
    expect(check('Bearer alpha')).toBe(true);
    expect(check('bearer  beta ')).toBe(true);
    expect(check('Bearer gamma')).toBe(false);
    expect(check('Basic alpha')).toBe(false);
    expect(check('alpha')).toBe(false);
    expect(check(undefined)).toBe(false);
  });
});
