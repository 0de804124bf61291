import { describe, expect, it } from 'vitest';
import { batchBody, eventBody } from '../../../../connectors/http/request-body.js';
import { createEvent, parseEvent } from '../../../../core/event.js';

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

describe('delivery bodies', () => {
  it('sends bytes as they are, text as text and other values as JSON', () => {
    const bytes = eventBody(
      createEvent({ value: new Uint8Array([1, 2]), headers: { 'content-type': 'image/png' } }),
      'value',
    );
    expect(bytes.contentType).toBe('image/png');
    expect([...bytes.bytes]).toEqual([1, 2]);
    expect(eventBody(createEvent({ value: 'hi' }), 'value')).toMatchObject({
      contentType: 'text/plain; charset=utf-8',
    });
    const json = eventBody(createEvent({ value: { a: 1 } }), 'value');
    expect(json.contentType).toBe('application/json');
    expect(text(json.bytes)).toBe('{"a":1}');
  });

  it('sends the whole event when asked, so that it parses back exactly', () => {
    const e = createEvent({ key: 'k', value: new Uint8Array([9]), ts: 5, id: '0-1-0' });
    expect(parseEvent(text(eventBody(e, 'event').bytes))).toEqual(e);
  });

  it('builds a JSON array or NDJSON of values', () => {
    const events = [
      createEvent({ value: { a: 1 } }),
      createEvent({ value: 'x' }),
      createEvent({ value: new Uint8Array([255]) }),
    ];
    expect(text(batchBody(events, 'value', 'json').bytes)).toBe('[{"a":1},"x",{"$bytes":"/w=="}]');
    const nd = batchBody(events, 'value', 'ndjson');
    expect(nd.contentType).toBe('application/x-ndjson');
    expect(text(nd.bytes)).toBe('{"a":1}\n"x"\n{"$bytes":"/w=="}\n');
  });
});
