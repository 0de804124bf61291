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

  it('names an event without id by the name its delivery gives it, in a batch too', () => {
    const made = createEvent({ value: 'sealed', ts: 5 });
    expect(eventIdempotencyKey('p', made, 's/0/0-1-0/0-9-0#0')).toBe('p/s/0/0-1-0/0-9-0#0');
    expect(eventIdempotencyKey('p', e('0-1-0'), 'ignored#0')).toBe('p/0-1-0');
    const a = batchIdempotencyKey('p', [made, made], ['d#0', 'd#1']);
    expect(batchIdempotencyKey('p', [made, made], ['d#0', 'd#1'])).toBe(a);
    expect(batchIdempotencyKey('p', [made, made], ['d#0', 'd#2'])).not.toBe(a);
  });

  it('falls back to a content digest for an event with neither id nor name', () => {
    const a = eventIdempotencyKey('p', createEvent({ value: 'x', ts: 5 }));
    expect(a).toMatch(/^p\/sha256:[0-9a-f]{64}$/);
    expect(eventIdempotencyKey('p', createEvent({ value: 'x', ts: 5 }))).toBe(a);
  });
});
