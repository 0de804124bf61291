import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  normalizeEvent,
  parseEvent,
  parseTimestamp,
  serializeEvent,
  valueFromJsonText,
  valueToJson,
} from '../../../core/event.js';

const jsonValue = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const value = fc.oneof(
  jsonValue,
  fc.uint8Array({ maxLength: 64 }),
  fc.dictionary(fc.string(), fc.uint8Array({ maxLength: 8 })),
);

describe('events', () => {
  it('accepts a bare primitive as the value, with no key and the ingest time', () => {
    expect(normalizeEvent('hello', 1000)).toEqual({ key: null, value: 'hello', ts: 1000, headers: {} });
    expect(normalizeEvent(42, 1000)).toEqual({ key: null, value: 42, ts: 1000, headers: {} });
  });

  it('accepts a key/value pair', () => {
    const e = normalizeEvent({ key: 'car_id_1', value: [43.82, -79.48] }, 5);
    expect(e).toEqual({ key: 'car_id_1', value: [43.82, -79.48], ts: 5, headers: {} });
  });

  it('accepts a key/value with an ISO-8601 timestamp', () => {
    const e = normalizeEvent({ key: 'patient_id', value: [125, 85], timestamp: '2021-07-01T12:00:00Z' });
    expect(e).toEqual({ key: 'patient_id', value: [125, 85], ts: Date.UTC(2021, 6, 1, 12), headers: {} });
  });

  it('reads timestamps as ISO text, epoch milliseconds or epoch seconds', () => {
    const ms = Date.UTC(2021, 6, 1, 12);
    expect(parseTimestamp('2021-07-01T12:00:00Z')).toBe(ms);
    expect(parseTimestamp(ms)).toBe(ms);
    expect(parseTimestamp(ms / 1000)).toBe(ms);
    expect(parseTimestamp(String(ms / 1000))).toBe(ms);
    expect(parseTimestamp('yesterday')).toBeUndefined();
  });

  it('rejects an envelope whose timestamp is not a time, saying what it got', () => {
    expect(() => normalizeEvent({ key: 'a', value: 1, timestamp: 'noon' })).toThrow(/timestamp "noon"/);
  });

  it('treats an object without an envelope shape as a plain value', () => {
    expect(normalizeEvent({ temp: 21, room: 'a' }, 1).value).toEqual({ temp: 21, room: 'a' });
  });

  it('round-trips any event through serialise and parse exactly, bytes included', () => {
    fc.assert(
      fc.property(
        fc.record({
          key: fc.option(fc.string(), { nil: undefined }),
          value,
          timestamp: fc.option(fc.integer({ min: 1e11, max: 4e12 }), { nil: undefined }),
        }),
        (input) => {
          const envelope: Record<string, unknown> = { value: input.value };
          if (input.key !== undefined) envelope.key = input.key;
          if (input.timestamp !== undefined) envelope.timestamp = input.timestamp;
          const e = normalizeEvent(envelope, 1_700_000_000_000);
          expect(parseEvent(serializeEvent(e))).toEqual(e);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('restores a value from its JSON text exactly, bytes and "$bytes" objects at any depth included', () => {
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small' },
        jsonValue,
        fc.uint8Array({ maxLength: 16 }),
        fc.record({ $bytes: tie('tree') }),
        fc.array(tie('tree'), { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 6 }), tie('tree'), { maxKeys: 3, noNullPrototype: true }),
      ),
    }));
    fc.assert(
      fc.property(tree, (v) => {
        expect(valueFromJsonText(JSON.stringify(valueToJson(v)))).toEqual(v);
      }),
      { numRuns: 500 },
    );
  });

  it('reads "$bytes" inside a string or spelled with escapes as text, and refuses text that is not JSON', () => {
    const value = { note: 'costs $5', raw: '"$bytes"' };
    expect(valueFromJsonText(JSON.stringify(value))).toEqual(value);
    expect(valueFromJsonText('{"\\u0024bytes":"AQID"}')).toEqual({ $bytes: 'AQID' });
    expect(() => valueFromJsonText('{"a":')).toThrow(SyntaxError);
  });

  it('keeps an object whose only key is "$bytes" apart from real bytes', () => {
    const e = normalizeEvent({ $bytes: 'not bytes' }, 1);
    expect(parseEvent(serializeEvent(e)).value).toEqual({ $bytes: 'not bytes' });
  });
});
