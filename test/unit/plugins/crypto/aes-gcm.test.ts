import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from '../../../../core/plugin.js';
import aesGcm from '../../../../plugins/crypto/aes-gcm.js';
import { createProcessor, event, processFrozen, runProcessor } from '../run-processor.js';

const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const keys = { '2024-07': oldKey.toString('hex'), '2025-01': `${newKey.toString('base64')}\n` };
const keyTexts = [oldKey.toString('hex'), oldKey.toString('base64'), newKey.toString('hex'), newKey.toString('base64')];

const bytesOf = (e: { value: unknown }) => Buffer.from(e.value as Uint8Array);

describe('aes-gcm', () => {
  it('writes version 1, the flags, the key id, a fresh 96-bit IV, the tag and the ciphertext', async () => {
    const encrypt = await createProcessor(aesGcm, { keys, currentKey: '2025-01' });
    const { events } = await processFrozen(encrypt, [event('same text'), event('same text')]);
    const [a, b] = events.map(bytesOf);
    expect(a[0]).toBe(1);
    expect(a[1]).toBe(1); // text, event key not bound
    expect(a[2]).toBe(7);
    expect(a.subarray(3, 10).toString()).toBe('2025-01');
    expect(a.length).toBe(3 + 7 + 12 + 16 + 'same text'.length);
    expect(a.subarray(10, 22).equals(b.subarray(10, 22))).toBe(false);
    expect(a.subarray(38).equals(b.subarray(38))).toBe(false);
  });

  it('decrypts back to the same value, whatever its shape, keeping key, time and headers', async () => {
    const batch = [
      event(new Uint8Array([0, 1, 255]), { key: 'k', ts: 5, headers: { h: '1' } }),
      event('text, with an unpaired \uD800 surrogate'),
      event({ nested: { raw: new Uint8Array([9]) }, n: 1.5 }),
      event(null),
    ];
    const encrypted = await runProcessor(aesGcm, { keys, currentKey: '2025-01' }, batch);
    const { events, rejected } = await runProcessor(aesGcm, { action: 'decrypt', keys }, encrypted.events);
    expect(rejected).toEqual([]);
    expect(events).toEqual([{ ...batch[0], value: Buffer.from([0, 1, 255]) }, batch[1], batch[2], batch[3]]);
  });

  it('rotates keys: new data uses the current key, data written with the old key still decrypts', async () => {
    const before = await runProcessor(aesGcm, { keys: { '2024-07': keys['2024-07'] } }, [event('old')]);
    const after = await runProcessor(aesGcm, { keys, currentKey: '2025-01' }, [event('new')]);
    expect(bytesOf(before.events[0]).subarray(3, 10).toString()).toBe('2024-07');
    expect(bytesOf(after.events[0]).subarray(3, 10).toString()).toBe('2025-01');
    const { events } = await runProcessor(aesGcm, { action: 'decrypt', keys }, [...before.events, ...after.events]);
    expect(events.map((e) => e.value)).toEqual(['old', 'new']);
  });

  it('rejects data encrypted with a key that is no longer configured, naming the key id', async () => {
    const before = await runProcessor(aesGcm, { keys: { '2024-07': keys['2024-07'] } }, [event('old')]);
    const { rejected } = await runProcessor(
      aesGcm,
      { action: 'decrypt', keys: { '2025-01': keys['2025-01'] } },
      before.events,
    );
    expect((rejected[0].error as { code?: string }).code).toBe('E_DECRYPT_UNKNOWN_KEY');
    expect(rejected[0].error.message).toBe(
      'aes-gcm decrypt: value was encrypted with key id "2024-07", which is not among the configured keys; add that key',
    );
  });

  it('rejects every single changed byte as a record error', async () => {
    const encrypted = await runProcessor(aesGcm, { keys, currentKey: '2024-07' }, [event('short secret')]);
    const original = bytesOf(encrypted.events[0]);
    const tampered = Array.from({ length: original.length }, (_, i) => {
      const copy = Buffer.from(original);
      copy[i] ^= 0x01;
      return event(copy);
    });
    const { events, rejected } = await runProcessor(aesGcm, { action: 'decrypt', keys }, tampered);
    expect(events).toEqual([]);
    expect(rejected).toHaveLength(original.length);
    for (const r of rejected) expect((r.error as { kind?: string }).kind).toBe('record');
  });

  it('with bindKey, a ciphertext moved to an event with another key fails, and unbound data is refused', async () => {
    const bound = await runProcessor(aesGcm, { keys, currentKey: '2025-01', bindKey: true }, [
      event('v', { key: 'car-1' }),
    ]);
    const unbound = await runProcessor(aesGcm, { keys, currentKey: '2025-01' }, [event('v', { key: 'car-1' })]);
    const decrypt = await createProcessor(aesGcm, { action: 'decrypt', keys, bindKey: true });
    const ok = await processFrozen(decrypt, bound.events);
    expect(ok.events.map((e) => e.value)).toEqual(['v']);
    const moved = await processFrozen(decrypt, [
      { ...bound.events[0], key: 'car-2' },
      { ...bound.events[0], key: null },
    ]);
    expect(moved.rejected.map((r) => r.error.message)).toEqual([
      'aes-gcm decrypt: authentication failed with key "2025-01": the data was altered, moved from an event with another key, or encrypted with other key material under that id',
      'aes-gcm decrypt: authentication failed with key "2025-01": the data was altered, moved from an event with another key, or encrypted with other key material under that id',
    ]);
    const refused = await processFrozen(decrypt, unbound.events);
    expect(refused.rejected[0].error.message).toBe(
      'aes-gcm decrypt: value was encrypted without bindKey, but bindKey is required here',
    );
  });

  it('never puts key material into errors, whether from decryption or from config validation', async () => {
    const foreign = await runProcessor(aesGcm, { keys: { '2025-01': randomBytes(32).toString('hex') } }, [event('x')]);
    const { rejected } = await runProcessor(aesGcm, { action: 'decrypt', keys }, [
      ...foreign.events,
      event('text'),
      event(Buffer.from([1, 2, 3])),
    ]);
    const shortKey = randomBytes(16).toString('hex');
    const configErrors = [
      aesGcm.config.safeParse({ keys: { a: shortKey } }),
      aesGcm.config.safeParse({ keys: { a: keys['2024-07'], b: keys['2025-01'] } }),
      aesGcm.config.safeParse({ keys: { a: keys['2024-07'] }, currentKey: 'b' }),
    ].map((r) => `${r.error?.issues.map((i) => i.message).join(' | ')} ${JSON.stringify(r.error)}`);
    const texts = [...rejected.map((r) => `${r.error.message} ${JSON.stringify(r.error)}`), ...configErrors];
    expect(rejected).toHaveLength(3);
    for (const text of texts) {
      for (const key of [...keyTexts, shortKey]) expect(text).not.toContain(key);
    }
    expect(configErrors[0]).toContain('a key must be 32 bytes, as base64 or 64 hex digits');
    expect(configErrors[1]).toContain('with several keys, say which one encrypts: currentKey (one of a, b)');
    expect(configErrors[2]).toContain('currentKey "b" is not one of keys (a)');
  });

  it('marks the key material secret in its config schema', () => {
    expect(JSON.stringify(z.toJSONSchema(aesGcm.config))).toContain('"secret":true');
  });
});
