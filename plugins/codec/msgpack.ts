// MessagePack bytes ↔ values, in the standard format (no msgpackr record extension), so that any MessagePack
// library can read what is written.
import { Packr } from 'msgpackr';
import { type SluiceEvent, withValue } from '../../core/event.js';
import { defineProcessor, eachRecordSync, recordError, z } from '../../core/plugin.js';
import { plainMsgpackValue } from './msgpack-plain-value.js';

// 'auto' (known to msgpackr, missing from its types): 64-bit integers are numbers when safe, BigInts beyond.
const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  structuredClone: false,
  int64AsType: 'auto' as 'bigint',
});

function decode(event: SluiceEvent): SluiceEvent {
  const { value } = event;
  if (!(value instanceof Uint8Array)) {
    const got = typeof value === 'string' ? 'text' : 'a value that is not bytes';
    throw recordError(
      `msgpack decode: expected bytes, got ${got}; MessagePack is a binary format`,
      undefined,
      'E_DECODE',
    );
  }
  let decoded: unknown;
  try {
    decoded = packr.unpack(value);
  } catch (err) {
    throw recordError(`msgpack decode: value is not MessagePack (${(err as Error).message})`, err, 'E_DECODE');
  }
  return withValue(event, plainMsgpackValue(decoded));
}

function encode(event: SluiceEvent): SluiceEvent {
  try {
    return withValue(event, packr.pack(event.value));
  } catch (err) {
    throw recordError(
      `msgpack encode: value cannot be written as MessagePack (${(err as Error).message})`,
      err,
      'E_ENCODE',
    );
  }
}

export default defineProcessor({
  name: 'msgpack',
  summary: 'Decode MessagePack bytes into values, or encode values as MessagePack.',
  config: z.object({
    action: z
      .enum(['decode', 'encode'])
      .default('decode')
      .describe(
        'decode: MessagePack bytes become the value they hold (timestamps become ISO-8601 text, integers beyond ' +
          '2^53 decimal text); encode: each value becomes MessagePack bytes.',
      ),
  }),
  create: ({ action }) => {
    const one = action === 'decode' ? decode : encode;
    return { process: (batch) => eachRecordSync(batch, one) };
  },
});
