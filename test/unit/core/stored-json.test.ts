import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SluiceEvent, serializeEvent, sizeOf, valueJsonText, valueToJson, withKey } from '../../../core/event.js';
import { entryToEvent, eventToFields } from '../../../core/storage/redis-entry.js';
import { unreadJson, withStoredJson } from '../../../core/stored-json.js';
import { eventArbitrary } from '../../conformance/event-arbitrary.js';

const asStored = (e: SluiceEvent) => eventToFields(e).map((f) => (typeof f === 'string' ? Buffer.from(f, 'utf8') : f));

/** An event as the Redis storage hands it out: its value still the JSON text it was stored as. */
const stored = (value: unknown, extra: Partial<SluiceEvent> = {}) =>
  withStoredJson(
    { key: 'k', ts: 5, headers: {}, id: '0-1-0', ...extra },
    JSON.stringify(valueToJson(value)),
  ) as SluiceEvent;

describe('values kept as their stored JSON text until read', () => {
  it('serialise to exactly what the parsed value serialises to, unread or read (property)', () => {
    fc.assert(
      fc.property(eventArbitrary({ withId: true }), (e) => {
        const unread = entryToEvent(1, '1700000000000-7', asStored(e));
        const read = entryToEvent(1, '1700000000000-7', asStored(e));
        const parsed = read.value;
        const expected = serializeEvent({ ...e, value: parsed, id: read.id });
        expect(serializeEvent(unread)).toBe(expected);
        expect(serializeEvent(read)).toBe(expected);
        expect(valueJsonText(unread)).toBe(JSON.stringify(valueToJson(parsed)));
      }),
      { numRuns: 300 },
    );
  });

  it('parse on first read, once, and then write what the value became, not the stored text', () => {
    const e = stored({ temp: 21 });
    expect(unreadJson(e)).toBe('{"temp":21}');
    const value = e.value as { temp: number };
    expect(unreadJson(e)).toBeUndefined();
    expect(e.value).toBe(value);
    value.temp = 22;
    expect(serializeEvent(e)).toBe('{"key":"k","value":{"temp":22},"ts":5,"id":"0-1-0"}');
  });

  it('copies carry the value, never the text: a spread, a helper and a set value', () => {
    const e = stored({ temp: 21 });
    const copy = { ...e, key: 'other' };
    expect(unreadJson(copy)).toBeUndefined();
    expect(copy.value).toEqual({ temp: 21 });
    expect(serializeEvent(withKey(stored({ a: 1 }), 'x'))).toBe('{"key":"x","value":{"a":1},"ts":5,"id":"0-1-0"}');
    const set = stored({ temp: 21 }) as { value: unknown };
    set.value = 'replaced';
    expect(serializeEvent(set as SluiceEvent)).toBe('{"key":"k","value":"replaced","ts":5,"id":"0-1-0"}');
  });

  it('look like a plain event to comparisons and key listings, and restore bytes when read', () => {
    const e = stored({ b: new Uint8Array([1, 2]) });
    expect(Object.keys(e).sort()).toEqual(['headers', 'id', 'key', 'ts', 'value']);
    expect(e).toEqual({ key: 'k', value: { b: new Uint8Array([1, 2]) }, ts: 5, headers: {}, id: '0-1-0' });
  });

  it('are sized by their stored text without being parsed', () => {
    const e = stored({ note: 'x'.repeat(100) });
    expect(sizeOf(e)).toBe(JSON.stringify({ note: 'x'.repeat(100) }).length);
    expect(unreadJson(e)).toBeDefined();
  });

  it('report text that is not JSON when read, and keep reporting it', () => {
    const e = withStoredJson({ key: null, ts: 1, headers: {} }, '{"broken"') as SluiceEvent;
    expect(() => e.value).toThrow(SyntaxError);
    expect(() => e.value).toThrow(SyntaxError);
  });
});
