import { describe, expect, it } from 'vitest';
import { batchIdempotencyKey, eventIdempotencyKey } from '../../../../connectors/http/idempotency-key.js';
import { createEvent } from '../../../../core/event.js';

const e = (id: string) => createEvent({ value: id, ts: 1, id });

describe('idempotency keys from event ids', () => {
  it('names one event by its pipeline and id', () => {
    expect(eventIdempotencyKey('orders', e('0-1-0'))).toBe('orders/0-1-0');
  });

  it('gives a redelivered batch the same key and a different batch another', () => {
    const a = batchIdempotencyKey('p', [e('0-1-0'), e('0-1-1')]);
    expect(batchIdempotencyKey('p', [e('0-1-0'), e('0-1-1')])).toBe(a);
    expect(batchIdempotencyKey('p', [e('0-1-0'), e('0-1-2')])).not.toBe(a);
    expect(batchIdempotencyKey('q', [e('0-1-0'), e('0-1-1')])).not.toBe(a);
  });

  it('uses the event key for a batch of one', () => {
    expect(batchIdempotencyKey('p', [e('0-1-0')])).toBe('p/0-1-0');
  });

  it('falls back to a content digest for an event without id', () => {
    const a = eventIdempotencyKey('p', createEvent({ value: 'x', ts: 5 }));
    expect(a).toMatch(/^p\/sha256:[0-9a-f]{64}$/);
    expect(eventIdempotencyKey('p', createEvent({ value: 'x', ts: 5 }))).toBe(a);
  });
});
