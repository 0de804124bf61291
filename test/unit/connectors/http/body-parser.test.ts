import { describe, expect, it } from 'vitest';
import { detectFormat, type EventDefaults, parseBody } from '../../../../connectors/http/body-parser.js';

const defaults: EventDefaults = { key: null, ts: 1000 };
const parse = (
  headers: Record<string, string>,
  body: string | Buffer,
  d = defaults,
  format = 'auto' as const,
  maxJsonDepth = 64,
) => parseBody({ format, headers, body: Buffer.isBuffer(body) ? body : Buffer.from(body), defaults: d, maxJsonDepth });

describe('request body formats', () => {
  it('detects the format from the content type', () => {
    expect(detectFormat('auto', { 'content-type': 'application/json; charset=utf-8' })).toBe('json');
    expect(detectFormat('auto', { 'content-type': 'application/vnd.api+json' })).toBe('json');
    expect(detectFormat('auto', { 'content-type': 'application/x-ndjson' })).toBe('ndjson');
    expect(detectFormat('auto', { 'content-type': 'application/cloudevents+json' })).toBe('cloudevents');
    expect(detectFormat('auto', { 'ce-specversion': '1.0', 'content-type': 'application/json' })).toBe('cloudevents');
    expect(detectFormat('auto', { 'content-type': 'text/plain' })).toBe('raw');
    expect(detectFormat('auto', {})).toBe('raw');
    expect(detectFormat('ndjson', { 'content-type': 'application/json' })).toBe('ndjson');
  });

  it('reads the three event shapes in a JSON array, defaults filling what an event lacks', () => {
    const events = parse(
      { 'content-type': 'application/json' },
      '[42, {"key":"k","value":"v"}, {"key":"t","value":1,"timestamp":"1970-01-01T00:00:05Z"}]',
      { key: 'dflt', ts: 7 },
    );
    expect(events).toEqual([
      { key: 'dflt', value: 42, ts: 7, headers: {} },
      { key: 'k', value: 'v', ts: 7, headers: {} },
      { key: 't', value: 1, ts: 5000, headers: {} },
    ]);
  });

  it('refuses malformed JSON and bad timestamps with 400, naming the element', () => {
    expect(() => parse({ 'content-type': 'application/json' }, '{nope')).toThrow(
      expect.objectContaining({ status: 400 }),
    );
    expect(() => parse({ 'content-type': 'application/json' }, '[1, {"value":1,"ts":"soon"}]')).toThrow(/element 1/);
  });

  it('reads NDJSON lines, skipping blank ones and CRLF endings', () => {
    const events = parse({ 'content-type': 'application/x-ndjson' }, '1\r\n\r\n"two"\r\n{"value":3}');
    expect(events.map((e) => e.value)).toEqual([1, 'two', 3]);
  });

  it('keeps a raw body as bytes with its content type', () => {
    const [e] = parse({ 'content-type': 'image/png' }, Buffer.from([137, 80]), { key: 'img', ts: 3 });
    expect(e).toEqual({
      key: 'img',
      value: new Uint8Array([137, 80]),
      ts: 3,
      headers: { 'content-type': 'image/png' },
    });
    expect(e.value).toBeInstanceOf(Uint8Array);
  });
});

describe('CloudEvents', () => {
  const ce = { specversion: '1.0', id: '1', source: '/s', type: 't' };

  it('maps a structured event: data, partitionkey, time and attributes', () => {
    const [e] = parse(
      { 'content-type': 'application/cloudevents+json' },
      JSON.stringify({ ...ce, time: '2024-01-01T00:00:00Z', partitionkey: 'p1', subject: 'sub', data: { a: 1 } }),
    );
    expect(e.key).toBe('p1');
    expect(e.value).toEqual({ a: 1 });
    expect(e.ts).toBe(Date.parse('2024-01-01T00:00:00Z'));
    expect(e.headers).toMatchObject({
      'ce-id': '1',
      'ce-subject': 'sub',
      'ce-specversion': '1.0',
      'ce-partitionkey': 'p1',
    });
  });

  it('gives an event without time the request default time, in every mode', () => {
    const [structured] = parse({ 'content-type': 'application/cloudevents+json' }, JSON.stringify(ce), {
      key: null,
      ts: 42,
    });
    expect(structured.ts).toBe(42);
    expect(structured.headers['ce-time']).toBeUndefined();
    const batch = parse(
      { 'content-type': 'application/cloudevents-batch+json' },
      JSON.stringify([ce, { ...ce, id: '2', time: '1970-01-01T00:00:01Z' }]),
      { key: null, ts: 42 },
    );
    expect(batch.map((e) => e.ts)).toEqual([42, 1000]);
  });

  it('gives data_base64 back as the exact bytes', () => {
    const bytes = Buffer.from([0, 255, 128, 7]);
    const [e] = parse(
      { 'content-type': 'application/cloudevents+json' },
      JSON.stringify({ ...ce, data_base64: bytes.toString('base64') }),
    );
    expect(e.value).toEqual(new Uint8Array(bytes));
  });

  it('reads binary mode by its datacontenttype: JSON, text or bytes', () => {
    const headers = { 'ce-specversion': '1.0', 'ce-id': '9', 'ce-source': '/b', 'ce-type': 't' };
    expect(parse({ ...headers, 'content-type': 'application/json' }, '{"x":1}')[0].value).toEqual({ x: 1 });
    expect(parse({ ...headers, 'content-type': 'text/plain' }, 'hello')[0].value).toBe('hello');
    expect(parse({ ...headers, 'content-type': 'application/octet-stream' }, Buffer.from([1, 2]))[0].value).toEqual(
      new Uint8Array([1, 2]),
    );
    expect(parse({ ...headers, 'content-type': 'application/json' }, '{"x":1}', { key: 'k', ts: 5 })[0]).toMatchObject({
      key: 'k',
      ts: 5,
    });
  });

  it('refuses an event missing required attributes with 400', () => {
    expect(() => parse({ 'content-type': 'application/cloudevents+json' }, '{"specversion":"1.0","id":"1"}')).toThrow(
      expect.objectContaining({ status: 400 }),
    );
    expect(() => parse({ 'ce-specversion': '1.0', 'ce-id': '1', 'content-type': 'application/json' }, '{}')).toThrow(
      /not a valid CloudEvent/,
    );
  });

  it('refuses an event without id with 400, in every mode, instead of inventing one', () => {
    const { id: _id, ...noId } = ce;
    const refused = expect.objectContaining({ status: 400, message: expect.stringMatching(/id/) });
    expect(() => parse({ 'content-type': 'application/cloudevents+json' }, JSON.stringify(noId))).toThrow(refused);
    expect(() => parse({ 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify([ce, noId]))).toThrow(
      /event 1/,
    );
    expect(() => parse({ 'content-type': 'application/cloudevents+json' }, JSON.stringify({ ...ce, id: '' }))).toThrow(
      refused,
    );
    const binary = { 'ce-specversion': '1.0', 'ce-source': '/b', 'ce-type': 't', 'content-type': 'text/plain' };
    expect(() => parse(binary, 'x')).toThrow(refused);
  });
});

describe('nesting depth', () => {
  const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

  it('refuses a body nested deeper than maxJsonDepth with 400 naming the limit, in every JSON format', () => {
    const deep = nested(20_000);
    const refused = expect.objectContaining({ status: 400, message: expect.stringMatching(/nested deeper than 64/) });
    expect(() => parse({ 'content-type': 'application/json' }, deep)).toThrow(refused);
    expect(() => parse({ 'content-type': 'application/x-ndjson' }, `1\n${deep}\n`)).toThrow(refused);
    expect(() => parse({ 'content-type': 'application/json' }, `{"value":${nested(65, '{"a":', '}')}}`)).toThrow(
      refused,
    );
    const ceHeaders = { 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/b', 'ce-type': 't' };
    expect(() => parse({ ...ceHeaders, 'content-type': 'application/json' }, deep)).toThrow(refused);
    expect(() =>
      parse(
        { 'content-type': 'application/cloudevents+json' },
        `{"specversion":"1.0","id":"1","source":"/s","type":"t","data":${deep}}`,
      ),
    ).toThrow(refused);
  });

  it('accepts nesting up to the limit, and counts brackets inside strings as text', () => {
    const [e] = parse({ 'content-type': 'application/json' }, `{"value":${nested(63)}}`);
    expect(JSON.stringify(e.value)).toBe(nested(63));
    const [s] = parse({ 'content-type': 'application/json' }, JSON.stringify({ value: `\\"${'['.repeat(500)}` }));
    expect(s.value).toBe(`\\"${'['.repeat(500)}`);
  });

  it('takes the limit from the configuration', () => {
    expect(() => parse({ 'content-type': 'application/json' }, nested(10), defaults, 'auto', 5)).toThrow(
      /nested deeper than 5/,
    );
  });

  it('leaves raw bodies alone: they are bytes, not JSON', () => {
    expect(parse({ 'content-type': 'text/plain' }, nested(1000))[0].value).toBeInstanceOf(Uint8Array);
  });
});
