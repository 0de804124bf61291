// aes-gcm against the processor conformance suite: exact round trips (one key, several keys, the event key
// bound), and decryption of tampered, truncated and foreign ciphertexts as record errors.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { SluiceEvent } from '../../core/event.js';
import aesGcm from '../../plugins/crypto/aes-gcm.js';
import { eventArbitrary } from './event-arbitrary.js';
import { createProcessor, describeProcessorConformance, runProcessor } from './processor.js';

const keys = {
  'k-2024': randomBytes(32).toString('hex'),
  'k-2025': randomBytes(32).toString('base64'),
};
const foreignKeys = { 'k-2024': randomBytes(32).toString('base64url') };

describeProcessorConformance({
  plugin: aesGcm,
  config: { keys: { only: keys['k-2025'] } },
  roundTrip: { config: { action: 'decrypt', keys: { only: keys['k-2025'] } } },
});
describeProcessorConformance({
  title: 'processor aes-gcm: encrypt with the current of two keys, the event key bound',
  plugin: aesGcm,
  config: { keys, currentKey: 'k-2025', bindKey: true },
  roundTrip: { config: { action: 'decrypt', keys, bindKey: true } },
});

async function ciphertexts(config: Record<string, unknown>, count: number, seed: number): Promise<SluiceEvent[]> {
  const encrypt = await createProcessor({ plugin: aesGcm, config });
  const input = fc.sample(eventArbitrary(), { numRuns: count, seed });
  return (await runProcessor(encrypt, input)).events;
}
const sealed = await ciphertexts({ keys, currentKey: 'k-2024' }, 200, 1);
const sealedBound = await ciphertexts({ keys, currentKey: 'k-2025', bindKey: true }, 100, 2);
const sealedElsewhere = await ciphertexts({ keys: foreignKeys }, 50, 3);
const sealedUnknownId = await ciphertexts({ keys: { 'k-2099': keys['k-2024'] } }, 50, 4);

describeProcessorConformance({
  title: 'processor aes-gcm: decrypt',
  plugin: aesGcm,
  config: { action: 'decrypt', keys },
  events: fc.constantFrom(...sealed, ...sealedBound),
  malformed: fc.oneof(
    // One bit flipped anywhere: header, IV, tag or ciphertext.
    fc
      .tuple(fc.constantFrom(...sealed, ...sealedBound), fc.nat(), fc.integer({ min: 0, max: 7 }))
      .map(([event, at, bit]) => {
        const bytes = new Uint8Array(event.value as Uint8Array);
        bytes[at % bytes.length] ^= 1 << bit;
        return bytes;
      }),
    // Cut short.
    fc.tuple(fc.constantFrom(...sealed), fc.integer({ min: 1, max: 40 })).map(([event, cut]) => {
      const bytes = event.value as Uint8Array;
      return bytes.slice(0, Math.max(0, bytes.length - cut));
    }),
    // Same key id, other key material; a key id that is not configured.
    fc.constantFrom(...sealedElsewhere, ...sealedUnknownId).map((event) => event.value),
    fc.string(),
  ),
});
