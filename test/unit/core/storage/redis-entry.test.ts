import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEvent, type SluiceEvent } from '../../../../core/event.js';
import { entryToEvent, eventToFields, packEvents } from '../../../../core/storage/redis-entry.js';
import { unreadJson } from '../../../../core/stored-json.js';
import { eventArbitrary } from '../../../conformance/event-arbitrary.js';

/** What Redis hands back for the fields it was given: every field as a Buffer. */
const asStored = (e: SluiceEvent) => eventToFields(e).map((f) => (typeof f === 'string' ? Buffer.from(f, 'utf8') : f));

const fieldNames = (e: SluiceEvent) => eventToFields(e).filter((_, i) => i % 2 === 0);

/** Fields in the layout before packed entries, one per part, as an earlier version wrote them. */
const legacy = (pairs: Array<[string, string | Buffer]>) =>
  pairs.flatMap(([name, data]) => [Buffer.from(name), Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8')]);

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

  it('restores a whole append of events from views of one buffer (property)', () => {
    fc.assert(
      fc.property(fc.array(eventArbitrary({ withId: false }), { maxLength: 20 }), (events) => {
        const packed = packEvents(events);
        expect(packed).toHaveLength(events.length);
        // One buffer: each event's value starts where the one before it ends (small buffers all share Node's
        // pool, so comparing `.buffer` alone would hold for separate allocations too).
        for (let i = 1; i < packed.length; i++) {
          expect(packed[i].buffer).toBe(packed[0].buffer);
          expect(packed[i].byteOffset).toBe(packed[i - 1].byteOffset + packed[i - 1].length);
        }
        packed.forEach((data, i) => {
          const stored = entryToEvent(3, `1700000000000-${i}`, [Buffer.from('e'), data]);
          expect({ ...stored, id: undefined, partition: undefined }).toEqual({
            ...events[i],
            id: undefined,
            partition: undefined,
          });
        });
      }),
      { numRuns: 200 },
    );
  });

  it('restores bytes at any depth of a structured value, and keeps "$bytes" in text or as a plain key as it was', () => {
    const value = {
      readings: [{ raw: new Uint8Array([1, 2, 3]) }, new Uint8Array(0)],
      escaped: { $bytes: 'not bytes' },
      note: 'costs $5, "$bytes" in text',
    };
    const e = createEvent({ key: 'car-1', value, ts: 1 });
    const stored = entryToEvent(0, '1-0', asStored(e));
    expect(stored.value).toEqual(value);
    expect((stored.value as { readings: Array<{ raw: unknown }> }).readings[0].raw).toBeInstanceOf(Uint8Array);
    const plain = createEvent({ value: { price: '$5', tags: ['a$b'] }, ts: 1 });
    expect(entryToEvent(0, '1-0', asStored(plain)).value).toEqual({ price: '$5', tags: ['a$b'] });
  });

  it('stores every event as one field of the same name, so Redis stores the name once per node', () => {
    expect(fieldNames(createEvent({ key: 'car-1', value: { speed: 1 }, ts: 1 }))).toEqual(['e']);
    expect(fieldNames(createEvent({ value: 'a line of text', ts: 1 }))).toEqual(['e']);
    expect(fieldNames(createEvent({ value: new Uint8Array([1]), ts: 1, headers: { a: 'b' } }))).toEqual(['e']);
  });

  it('stores bytes raw, without base64, and reads them back as a view rather than a copy', () => {
    const bytes = Buffer.from([0, 255, 1, 254]);
    const [, data] = eventToFields(createEvent({ value: bytes, ts: 1 }));
    expect([...data.subarray(data.length - 4)]).toEqual([0, 255, 1, 254]);
    expect(data.length).toBe(9 + 4);
    const stored = entryToEvent(0, '1-0', [Buffer.from('e'), data]);
    // The very bytes of the entry: same memory, at the value's place in it (a copy from Node's pool would share
    // `.buffer` but not the offset).
    expect((stored.value as Uint8Array).buffer).toBe(data.buffer);
    expect((stored.value as Uint8Array).byteOffset).toBe(data.byteOffset + 9);
    const view = new Uint8Array([9, 8, 7, 6]).subarray(1, 3);
    expect([...(entryToEvent(0, '1-0', asStored(createEvent({ value: view, ts: 1 }))).value as Uint8Array)]).toEqual([
      8, 7,
    ]);
  });

  it('keeps text that is not well-formed Unicode exact', () => {
    const e = createEvent({ key: 'a\ud800', value: 'b\udc00c', ts: 1, headers: { h: 'x\udfff' } });
    expect(entryToEvent(0, '1-0', asStored(e))).toMatchObject({
      key: 'a\ud800',
      value: 'b\udc00c',
      headers: { h: 'x\udfff' },
    });
  });

  it('stores a value read from storage and never read again as the JSON text it came with, unparsed', () => {
    const first = entryToEvent(0, '1-0', asStored(createEvent({ key: 'k', value: { a: [1, 2] }, ts: 5 })));
    const again = entryToEvent(0, '2-0', asStored(first));
    expect(unreadJson(first)).toBe('{"a":[1,2]}');
    expect(again.value).toEqual({ a: [1, 2] });
  });

  it('reads entries an earlier version wrote, one field per part', () => {
    const fields = legacy([
      ['k', 'car-1'],
      ['j', '{"speed":3}'],
      ['t', '1700000000123'],
      ['h', '{"source":"gps"}'],
    ]);
    expect(entryToEvent(2, '1700000000123-4', fields)).toEqual({
      key: 'car-1',
      value: { speed: 3 },
      ts: 1700000000123,
      headers: { source: 'gps' },
      id: '2-1700000000123-4',
      partition: 2,
    });
    expect(
      entryToEvent(
        0,
        '1-0',
        legacy([
          ['s', 'text'],
          ['t', '7'],
        ]),
      ),
    ).toMatchObject({ key: null, value: 'text', ts: 7 });
    expect(
      entryToEvent(
        0,
        '1-0',
        legacy([
          ['b', Buffer.from([1, 2])],
          ['t', '7'],
        ]),
      ).value,
    ).toEqual(new Uint8Array([1, 2]));
    expect(
      entryToEvent(
        0,
        '1-0',
        legacy([
          ['K', '"a\\ud800"'],
          ['s', 'x'],
          ['t', '1'],
        ]),
      ).key,
    ).toBe('a\ud800');
  });

  it('refuses an entry of a layout it does not know, or cut short, naming the event and how to skip it', () => {
    const data = Buffer.from(eventToFields(createEvent({ value: 'x', ts: 1 }))[1]);
    data[0] = (data[0] & 0x1f) | 0x40;
    expect(() => entryToEvent(1, '5-6', [Buffer.from('e'), data])).toThrow(
      /stored event 1-5-6 cannot be read \(a layout this version does not know\).*--from 1-5-6/,
    );
    expect(() => entryToEvent(1, '5-6', [Buffer.from('e'), Buffer.from([0x24])])).toThrow(/stored event 1-5-6/);
    expect(() => entryToEvent(1, '5-6', [Buffer.from('e'), Buffer.from([0x24])])).toThrow(
      expect.objectContaining({ kind: 'fatal', code: 'E_STORED_EVENT' }),
    );
    // A key whose length says more bytes than the entry holds.
    const keyed = Buffer.from(eventToFields(createEvent({ key: 'car-1', value: 'x', ts: 1 }))[1]);
    expect(() => entryToEvent(1, '5-6', [Buffer.from('e'), keyed.subarray(0, 11)])).toThrow(
      /stored event 1-5-6 cannot be read \(the entry ends inside a part\)/,
    );
  });
});
