import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEvent, type SluiceEvent } from '../../../../core/event.js';
import { entryToEvent, eventToFields } from '../../../../core/storage/redis-entry.js';
import { eventArbitrary } from '../../../conformance/event-arbitrary.js';

/** What Redis hands back for the fields it was given: every field as a Buffer. */
const asStored = (e: SluiceEvent) => eventToFields(e).map((f) => (typeof f === 'string' ? Buffer.from(f, 'utf8') : f));

const fieldNames = (e: SluiceEvent) => eventToFields(e).filter((_, i) => i % 2 === 0);

describe('Redis stream entry layout', () => {
  it('restores every event exactly from its entry fields (property)', () => {
    const texts = fc.string({ unit: 'binary', maxLength: 40 });
    const event = fc.oneof(
      eventArbitrary({ withId: false }),
      fc
        .record({
          key: fc.option(texts, { nil: null }),
          value: texts,
          ts: fc.double({ noNaN: true, noDefaultInfinity: true }),
        })
        .map((e) => createEvent({ ...e, ts: Object.is(e.ts, -0) ? 0 : e.ts })),
    );
    fc.assert(
      fc.property(event, fc.nat({ max: 63 }), fc.stringMatching(/^\d{13}-\d{1,4}$/), (e, partition, streamId) => {
        const stored = entryToEvent(partition, streamId, asStored(e));
        expect(stored.id).toBe(`${partition}-${streamId}`);
        expect(stored.partition).toBe(partition);
        expect({ ...stored, id: undefined, partition: undefined }).toEqual({
          ...e,
          id: undefined,
          partition: undefined,
        });
        if (e.value instanceof Uint8Array) expect(stored.value).toBeInstanceOf(Uint8Array);
      }),
      { numRuns: 500 },
    );
  });

  it('restores bytes at any depth of a structured value, and keeps "$bytes" in text or as a plain key as it was', () => {
    const value = {
      readings: [{ raw: new Uint8Array([1, 2, 3]) }, new Uint8Array(0)],
      escaped: { $bytes: 'not bytes' },
      note: 'costs $5, "$bytes" in text',
    };
    const e = createEvent({ key: 'car-1', value, ts: 1 });
    expect(fieldNames(e)).toEqual(['k', 'j', 't']);
    const stored = entryToEvent(0, '1-0', asStored(e));
    expect(stored.value).toEqual(value);
    expect((stored.value as { readings: Array<{ raw: unknown }> }).readings[0].raw).toBeInstanceOf(Uint8Array);
    const plain = createEvent({ value: { price: '$5', tags: ['a$b'] }, ts: 1 });
    expect(entryToEvent(0, '1-0', asStored(plain)).value).toEqual({ price: '$5', tags: ['a$b'] });
  });

  it('uses the same one-letter fields for events of the same shape, so Redis stores the names once per node', () => {
    const a = createEvent({ key: 'car-1', value: { speed: 1 }, ts: 1 });
    const b = createEvent({ key: 'car-2', value: { speed: 2, extra: [1, 2] }, ts: 2 });
    expect(fieldNames(a)).toEqual(['k', 'j', 't']);
    expect(fieldNames(b)).toEqual(fieldNames(a));
    expect(fieldNames(createEvent({ value: 'a line of text', ts: 1 }))).toEqual(['s', 't']);
    expect(fieldNames(createEvent({ value: new Uint8Array([1]), ts: 1, headers: { a: 'b' } }))).toEqual([
      'b',
      't',
      'h',
    ]);
  });

  it('stores bytes raw, without base64 or a copy', () => {
    const bytes = Buffer.from([0, 255, 1, 254]);
    const fields = eventToFields(createEvent({ value: bytes, ts: 1 }));
    expect(fields[1]).toBe(bytes);
    const view = new Uint8Array([9, 8, 7, 6]).subarray(1, 3);
    expect([...(eventToFields(createEvent({ value: view, ts: 1 }))[1] as Buffer)]).toEqual([8, 7]);
  });

  it('keeps text that is not well-formed Unicode exact by storing it as JSON', () => {
    const e = createEvent({ key: 'a\ud800', value: 'b\udc00c', ts: 1 });
    expect(fieldNames(e)).toEqual(['K', 'j', 't']);
    expect(entryToEvent(0, '1-0', asStored(e))).toMatchObject({ key: 'a\ud800', value: 'b\udc00c' });
  });
});
