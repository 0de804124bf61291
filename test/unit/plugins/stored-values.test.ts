// Events read from Redis keep their value as its stored JSON text until something reads it. The processors and
// sinks that only serialise a value write that text as it is; each must give exactly what it gives for the same
// event with its value parsed.
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventBody } from '../../../connectors/http/request-body.js';
import { writeLine } from '../../../connectors/line-format/write-line.js';
import { type SluiceEvent, storedValueJson, toBytes, toText, valueBytes, valueText } from '../../../core/event.js';
import { entryToEvent, eventToFields } from '../../../core/storage/redis-entry.js';
import json from '../../../plugins/codec/json.js';
import gzip from '../../../plugins/compress/gzip.js';
import { anyValueArbitrary } from '../../conformance/event-arbitrary.js';
import { runProcessor } from '../../conformance/processor.js';
import { createProcessor } from './run-processor.js';

const fromRedis = (e: SluiceEvent) =>
  entryToEvent(
    0,
    '1700000000000-3',
    eventToFields(e).map((f) => (typeof f === 'string' ? Buffer.from(f, 'utf8') : f)),
  );

/** The same stored event twice: one as read from Redis, one whose value something has read already. */
function pair(value: unknown): [unread: SluiceEvent, read: SluiceEvent] {
  const e: SluiceEvent = { key: 'k', value, ts: 7, headers: {} };
  const read = fromRedis(e);
  void read.value;
  return [fromRedis(e), read];
}

// Values stored as JSON text ('j'): structured ones, bytes inside objects, "$bytes" as a plain key, text that is
// not well-formed Unicode.
const values = fc.oneof(anyValueArbitrary, fc.constant({ $bytes: 'plain' }), fc.constant('lone \ud800 surrogate'));

describe('a value still in its stored JSON text', () => {
  it('gives the bytes and text of its parsed value, and stays unparsed when it is plain JSON (property)', () => {
    fc.assert(
      fc.property(values, (value) => {
        const [unread, read] = pair(value);
        expect(Buffer.from(valueBytes(unread))).toEqual(Buffer.from(toBytes(read.value)));
        const [again] = pair(value);
        expect(valueText(again)).toBe(toText(read.value));
      }),
      { numRuns: 300 },
    );
    const [plain] = pair({ temp: 21 });
    expect(Buffer.from(valueBytes(plain)).toString()).toBe('{"temp":21}');
    expect(storedValueJson(plain)).toBe('{"temp":21}');
  });

  it('is written alike by json decode, gzip, the http body and the file line formats (property)', async () => {
    const decode = await createProcessor(json, { action: 'decode' });
    const compress = await createProcessor(gzip, {});
    // Each output from an event of its own, so that what one step reads does not decide what the next sees.
    const outputs = async (fresh: () => SluiceEvent) => {
      const body = eventBody(fresh(), 'value');
      const decoded = await runProcessor(decode, [fresh()]);
      const [zipped] = (await runProcessor(compress, [fresh()])).events;
      return {
        decoded: decoded.events.map((e) => e.value),
        refused: decoded.rejected?.map((r) => (r.error as Error).message),
        gzipped: gunzipSync(zipped.value as Uint8Array).toString('latin1'),
        body: [Buffer.from(body.bytes).toString('latin1'), body.contentType],
        lines: (['value', 'ndjson'] as const).map((format) => writeLine({ format, ts: 'ms' }, fresh())),
      };
    };
    await fc.assert(
      fc.asyncProperty(values, async (value) => {
        expect(await outputs(() => pair(value)[0])).toEqual(await outputs(() => pair(value)[1]));
      }),
      { numRuns: 200 },
    );
  });

  it('passes json decode without being parsed when it is structured', async () => {
    const decode = await createProcessor(json, { action: 'decode' });
    const [unread] = pair({ temp: 21 });
    const [out] = (await runProcessor(decode, [unread])).events;
    expect(storedValueJson(out)).toBe('{"temp":21}');
    expect(out.value).toEqual({ temp: 21 });
  });
});
