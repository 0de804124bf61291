import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandReader, type RoundTripProxy, startRoundTripProxy } from '../../bench/harness/round-trip-proxy.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

describe('the bench counting proxy in front of Redis', () => {
  const prefix = `test-rtp-${randomUUID().slice(0, 8)}`;
  let proxy: RoundTripProxy;
  let client: Redis;

  beforeAll(async () => {
    proxy = await startRoundTripProxy(REDIS_URL);
    client = new Redis(proxy.url);
    await client.ping();
  });

  afterAll(async () => {
    await client.del(`${prefix}:a`, `${prefix}:b`);
    client.disconnect();
    await proxy.close();
  });

  it('counts each awaited command as a round trip', async () => {
    proxy.take();
    await client.set(`${prefix}:a`, '1');
    await client.get(`${prefix}:a`);
    await client.incr(`${prefix}:a`);
    expect(proxy.take()).toEqual({ roundTrips: 3, idlePolls: 0, commands: 3, byName: { SET: 1, GET: 1, INCR: 1 } });
  });

  it('counts a pipeline as one round trip of several commands', async () => {
    proxy.take();
    const results = await client
      .pipeline()
      .set(`${prefix}:b`, 'x'.repeat(100_000))
      .strlen(`${prefix}:b`)
      .get(`${prefix}:a`)
      .exec();
    expect(results?.[1]).toEqual([null, 100_000]);
    expect(proxy.take()).toEqual({ roundTrips: 1, idlePolls: 0, commands: 3, byName: { SET: 1, STRLEN: 1, GET: 1 } });
  });

  it('counts a blocking read that times out empty as an idle poll, not a round trip', async () => {
    proxy.take();
    const reply = await client.xread('BLOCK', 50, 'STREAMS', `${prefix}:nothing`, '$');
    expect(reply).toBeNull();
    expect(proxy.take()).toEqual({ roundTrips: 0, idlePolls: 1, commands: 1, byName: { XREAD: 1 } });
  });
});

describe('the RESP command reader', () => {
  it('reads commands however the bytes are split', () => {
    const names: string[] = [];
    const reader = new CommandReader((name) => names.push(name));
    const bytes = Buffer.from('*3\r\n$3\r\nset\r\n$1\r\nk\r\n$4\r\nv\r\nv\r\n*1\r\n$4\r\nPING\r\nPING\r\n');
    for (let i = 0; i < bytes.length; i++) reader.push(bytes.subarray(i, i + 1));
    expect(names).toEqual(['SET', 'PING', 'PING']);
  });
});
