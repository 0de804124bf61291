import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LineReader, readLine } from '../../../../connectors/line-format/read-line.js';
import { type LineWriter, writeBatch, writeLine } from '../../../../connectors/line-format/write-line.js';
import type { SluiceEvent } from '../../../../core/event.js';
import type { Logger } from '../../../../core/plugin.js';
import { eventArbitrary } from '../../../conformance/event-arbitrary.js';

const NOW = Date.UTC(2024, 0, 1);
const warnings: string[] = [];
const logger: Logger = { debug() {}, info() {}, warn: (_o, msg) => warnings.push(msg ?? ''), error() {} };
const ndjson: LineReader = { format: 'ndjson', onInvalid: 'keep', logger };

describe('reading a line', () => {
  it('reads the three shapes users send', () => {
    expect(readLine(ndjson, '"hello"', 'stdin line 1', NOW)).toEqual({
      key: null,
      value: 'hello',
      ts: NOW,
      headers: {},
    });
    expect(readLine(ndjson, '42', 'stdin line 2', NOW)).toEqual({ key: null, value: 42, ts: NOW, headers: {} });
    expect(readLine(ndjson, '{"key":"car_id_1","value":[43.82,-79.48]}', 'stdin line 3', NOW)).toEqual({
      key: 'car_id_1',
      value: [43.82, -79.48],
      ts: NOW,
      headers: {},
    });
    expect(
      readLine(ndjson, '{"key":"patient_id","value":[125,85],"timestamp":"2021-07-01T12:00:00Z"}', 'stdin line 4', NOW),
    ).toEqual({ key: 'patient_id', value: [125, 85], ts: Date.UTC(2021, 6, 1, 12), headers: {} });
  });

  it('skips blank lines and ignores CRLF line ends and a byte order mark', () => {
    expect(readLine(ndjson, '   ', 'x', NOW)).toBeNull();
    expect(readLine(ndjson, '\uFEFF{"value":1}\r', 'x', NOW)?.value).toBe(1);
    expect(readLine({ ...ndjson, format: 'lines' }, 'plain text\r', 'x', NOW)?.value).toBe('plain text');
  });

  it('drops the stored id of an event read back, since the topic gives it a new one', () => {
    expect(readLine(ndjson, '{"key":"a","value":1,"ts":1700000000000,"id":"0-1-0"}', 'x', NOW)).toEqual({
      key: 'a',
      value: 1,
      ts: 1700000000000,
      headers: {},
    });
  });

  it('keeps a line that is not JSON as raw text with the reason in a header, by default', () => {
    warnings.length = 0;
    const event = readLine(ndjson, '{"key": oops}', 'stdin line 7', NOW);
    expect(event?.value).toBe('{"key": oops}');
    expect(event?.headers['sluice-error']).toMatch(/^stdin line 7: not valid JSON/);
    expect(event?.headers['sluice-error-code']).toBe('E_NDJSON_LINE');
    expect(warnings[0]).toContain('stdin line 7');
  });

  it('keeps a line with a bad timestamp, saying what is wrong with it', () => {
    const event = readLine(ndjson, '{"value":1,"timestamp":"yesterday"}', 'stdin line 2', NOW);
    expect(event?.headers['sluice-error']).toContain('"yesterday" is not ISO-8601');
  });

  it('skips or stops on a bad line when asked to', () => {
    expect(readLine({ ...ndjson, onInvalid: 'skip' }, 'nope', 'x', NOW)).toBeNull();
    expect(() => readLine({ ...ndjson, onInvalid: 'fail' }, 'nope', 'file "a" line 3', NOW)).toThrow(
      expect.objectContaining({ kind: 'fatal', message: expect.stringContaining('file "a" line 3') }),
    );
  });
});

describe('writing a line', () => {
  const event: SluiceEvent = {
    key: 'car_id_1',
    value: [43.82, -79.48],
    ts: Date.UTC(2021, 6, 1, 12),
    headers: {},
    id: '0-1-0',
  };

  it('writes ndjson with ts in milliseconds or as ISO text', () => {
    expect(writeLine({ format: 'ndjson', ts: 'ms' }, event)).toBe(
      '{"key":"car_id_1","value":[43.82,-79.48],"ts":1625140800000,"id":"0-1-0"}',
    );
    expect(writeLine({ format: 'ndjson', ts: 'iso' }, event)).toBe(
      '{"key":"car_id_1","value":[43.82,-79.48],"ts":"2021-07-01T12:00:00.000Z","id":"0-1-0"}',
    );
  });

  it('writes only the value, as JSON or as text', () => {
    const text = { ...event, value: 'hello' };
    expect(writeLine({ format: 'value', ts: 'ms' }, text)).toBe('"hello"');
    expect(writeLine({ format: 'lines', ts: 'ms' }, text)).toBe('hello');
    expect(writeLine({ format: 'lines', ts: 'ms' }, event)).toBe('[43.82,-79.48]');
    expect(writeLine({ format: 'lines', ts: 'ms' }, { ...event, value: new TextEncoder().encode('bytes') })).toBe(
      'bytes',
    );
  });

  it('rejects only the record whose text has a line break in the lines format', () => {
    const batch = [event, { ...event, value: 'two\nlines' }, event];
    const out = writeBatch({ format: 'lines', ts: 'ms' }, batch);
    expect(out.text).toBe('[43.82,-79.48]\n[43.82,-79.48]\n');
    expect(out.rejected).toEqual([
      { index: 1, error: expect.objectContaining({ kind: 'record', code: 'E_LINE_BREAK' }) },
    ]);
  });
});

describe('ndjson round trip', () => {
  const reader: LineReader = { format: 'ndjson', onInvalid: 'fail', logger };
  const withoutId = ({ id: _id, ...rest }: SluiceEvent) => rest;
  // normalizeEvent (core/event.ts) drops a header named "__proto__": reported on the issue, left out here.
  const events = eventArbitrary().filter((e) => !Object.hasOwn(e.headers, '__proto__'));

  it('reads back exactly what it wrote, bytes included', () => {
    // Epoch numbers below 1e11 are read as seconds, so the ms form round-trips from 1973 on.
    const writer: LineWriter = { format: 'ndjson', ts: 'ms' };
    fc.assert(
      fc.property(
        events.filter((e) => e.ts >= 1e11),
        (e) => {
          expect(readLine(reader, writeLine(writer, e), 'x', NOW)).toEqual(withoutId(e));
        },
      ),
    );
  });

  it('reads back exactly what it wrote with ISO timestamps, for any time', () => {
    const writer: LineWriter = { format: 'ndjson', ts: 'iso' };
    fc.assert(
      fc.property(events, (e) => {
        expect(readLine(reader, writeLine(writer, e), 'x', NOW)).toEqual(withoutId(e));
      }),
    );
  });
});
