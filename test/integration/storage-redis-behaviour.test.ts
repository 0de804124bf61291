// What the Redis storage driver does beyond the shared contract: it refuses a Redis that may evict keys, says
// when Redis cannot be reached, waits through a Redis restart, appends a batch in one round trip, stores events
// compactly, and leaves a connection it was given open. Each test runs its own redis-server.

import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createEvent, type SluiceEvent, serializeEvent } from '../../core/event.js';
import { assertNoEviction, RedisStorage } from '../../core/storage/redis.js';
import { freePort } from '../harness/loopback.js';
import { RedisServer } from '../harness/redis-server.js';

const servers: RedisServer[] = [];
const storages: RedisStorage[] = [];
const clients: Redis[] = [];

async function server(args: string[] = []): Promise<RedisServer> {
  const s = await RedisServer.start({ args });
  servers.push(s);
  return s;
}

async function connect(url: string, options: { client?: Redis } = {}): Promise<RedisStorage> {
  const storage = await RedisStorage.connect({ url, connectTimeoutMs: 5000, ...options });
  storages.push(storage);
  return storage;
}

function client(url: string): Redis {
  const c = new Redis(url, { maxRetriesPerRequest: 1 });
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const s of storages.splice(0)) await s.close();
  for (const c of clients.splice(0)) c.disconnect();
  for (const s of servers.splice(0)) await s.stop();
});

const gps = (i: number): SluiceEvent =>
  createEvent({
    key: `car-${String(i % 500).padStart(4, '0')}`,
    value: {
      carId: `car-${String(i % 500).padStart(4, '0')}`,
      lat: 52.52 + (i % 100) / 1000,
      lon: 13.405 + (i % 77) / 1000,
      speed: (i * 7) % 130,
      heading: (i * 13) % 360,
      time: new Date(1_790_000_000_000 + i).toISOString(),
      status: 'moving',
      driver: 'Erika Mustermann',
    },
    ts: 1_790_000_000_000 + i,
  });

describe('RedisStorage on its own redis-server', () => {
  it('refuses a Redis whose maxmemory-policy may evict keys, and says how to fix it', async () => {
    const lru = await server(['--maxmemory-policy', 'allkeys-lru']);
    const error = await RedisStorage.connect({ url: lru.url, connectTimeoutMs: 5000 }).catch((err: unknown) => err);
    expect(error).toMatchObject({ kind: 'fatal', code: 'E_REDIS_EVICTION_POLICY' });
    const message = (error as Error).message;
    expect(message).toContain('"allkeys-lru"');
    expect(message).toContain(`redis-cli -h 127.0.0.1 -p ${lru.port} CONFIG SET maxmemory-policy noeviction`);
    expect(message).toContain('redis.conf');

    await client(lru.url).config('SET', 'maxmemory-policy', 'noeviction');
    await expect(assertNoEviction(client(lru.url))).resolves.toBeUndefined();
  });

  it('says which Redis it cannot reach', async () => {
    const port = await freePort();
    const started = Date.now();
    const error = await RedisStorage.connect({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 500 }).catch(
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ kind: 'retryable', code: 'E_REDIS_UNREACHABLE' });
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('waits through a Redis restart and goes on without help', async () => {
    const redis = await server(['--appendonly', 'yes', '--appendfsync', 'always']);
    const storage = await connect(redis.url);
    await storage.ensureTopic({ name: 'gps', partitions: 2 });
    await storage.ensureSubscription('gps', 'sink', 'beginning');
    await storage.append('gps', [gps(1), gps(2)]);

    await redis.halt();
    const during = storage.append('gps', [gps(3)]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await redis.resume();
    expect((await during).ids).toHaveLength(1);

    const claimed = [
      ...(await storage.claim('gps', 'sink', 0, { count: 10, consumer: 'w' })),
      ...(await storage.claim('gps', 'sink', 1, { count: 10, consumer: 'w' })),
    ];
    expect(claimed.map((e) => (e.value as { carId: string }).carId).sort()).toEqual([
      'car-0001',
      'car-0002',
      'car-0003',
    ]);
  });

  it('fails at once, as retryable, an append that may not wait while Redis is down, and stores it after', async () => {
    const redis = await server(['--appendonly', 'yes', '--appendfsync', 'always']);
    const storage = await connect(redis.url);
    await storage.ensureTopic({ name: 'gps', partitions: 2 });
    await redis.halt();
    const error = await storage
      .withoutWaiting(() => storage.append('gps', [gps(1)]))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(error).toMatchObject({ kind: 'retryable', code: 'E_REDIS_UNAVAILABLE' });
    expect((error as { retryAfterMs?: number }).retryAfterMs).toBeGreaterThan(0);
    expect((error as Error).message).toMatch(/not reachable right now; nothing was stored/);
    await redis.resume();
    // The same append waits for Redis when it may: once Redis is back it is stored.
    await expect(storage.append('gps', [gps(2)])).resolves.toMatchObject({ duplicate: false });
  });

  it('fails at once work that may not wait when Redis dies while its command is on the wire', async () => {
    const redis = await server(['--appendonly', 'yes', '--appendfsync', 'always']);
    const storage = await connect(redis.url);
    await storage.ensureTopic({ name: 'gps', partitions: 2 });
    // Redis holds every command unanswered: the append and the memory check below are sent and wait for a reply.
    await client(redis.url).call('CLIENT', 'PAUSE', '60000', 'ALL');
    let signal: AbortSignal | undefined;
    const outcome = storage
      .withoutWaiting((s) => {
        signal = s;
        return Promise.all([storage.memory(), storage.append('gps', [gps(1)])]);
      })
      .then(
        () => 'stored',
        (err: unknown) => err,
      );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await redis.halt('SIGKILL');
    // Answered while Redis is still down, not after the reconnect.
    expect(await outcome).toMatchObject({ kind: 'retryable', code: 'E_REDIS_UNAVAILABLE' });
    expect(signal?.aborted).toBe(true);
    await redis.resume();
    await expect(storage.append('gps', [gps(2)])).resolves.toMatchObject({ duplicate: false });
  });

  it('appends a batch of 500 events in one round trip', async () => {
    const redis = await server();
    const connection = client(redis.url);
    const storage = await connect(redis.url, { client: connection });
    await storage.ensureTopic({ name: 'gps', partitions: 4 });
    await storage.append('gps', [gps(0)]);
    const sent: string[] = [];
    const sendCommand = connection.sendCommand.bind(connection);
    connection.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
      sent.push(command.name);
      return (sendCommand as (...args: unknown[]) => unknown)(command, ...rest);
    }) as typeof connection.sendCommand;
    await storage.append(
      'gps',
      Array.from({ length: 500 }, (_, i) => gps(i)),
      { checkpoint: { source: 'src', value: 500 }, idempotencyKey: 'batch-1' },
    );
    expect(sent).toEqual(['evalsha']);
  });

  it('stores a 200-byte event in less than 1.2 times the memory of the event as one JSON field', async () => {
    const redis = await server();
    const storage = await connect(redis.url);
    const admin = client(redis.url);
    await storage.ensureTopic({ name: 'gps', partitions: 1 });
    const events = Array.from({ length: 10_000 }, (_, i) => gps(i));
    const size = serializeEvent(events[0]).length;
    expect(size).toBeGreaterThanOrEqual(190);
    expect(size).toBeLessThanOrEqual(220);
    for (let i = 0; i < events.length; i += 500) await storage.append('gps', events.slice(i, i + 500));
    for (let i = 0; i < events.length; i += 500) {
      const pipeline = admin.pipeline();
      for (const e of events.slice(i, i + 500)) pipeline.xadd('bare', '*', 'v', serializeEvent(e));
      await pipeline.exec();
    }
    const ours = Number(await admin.call('MEMORY', 'USAGE', storage.keys.partition('gps', 0), 'SAMPLES', '0'));
    const bare = Number(await admin.call('MEMORY', 'USAGE', 'bare', 'SAMPLES', '0'));
    expect(ours / bare).toBeLessThanOrEqual(1.2);
    expect((await storage.topicInfo('gps')).memoryBytes).toBe(ours);
  });

  it('reads and delivers entries an earlier version wrote (one field per part) beside packed ones', async () => {
    const redis = await server();
    const storage = await connect(redis.url);
    const admin = client(redis.url);
    await storage.ensureTopic({ name: 'gps', partitions: 1 });
    await storage.ensureSubscription('gps', 'out', 'beginning');
    const stream = storage.keys.partition('gps', 0);
    await admin.xadd(stream, '1-0', 'k', 'car-1', 'j', '{"speed":3}', 't', '1790000000000', 'h', '{"via":"v0"}');
    await admin.xadd(stream, '2-0', 's', 'a line', 't', '1790000000001');
    await storage.append('gps', [createEvent({ key: 'car-2', value: { speed: 4 }, ts: 1_790_000_000_002 })]);
    const claimed = await storage.claim('gps', 'out', 0, { count: 10, consumer: 'c' });
    const seen = claimed.map((e) => ({ id: e.id, key: e.key, value: e.value, ts: e.ts, headers: e.headers }));
    expect(seen).toEqual([
      { id: '0-1-0', key: 'car-1', value: { speed: 3 }, ts: 1_790_000_000_000, headers: { via: 'v0' } },
      { id: '0-2-0', key: null, value: 'a line', ts: 1_790_000_000_001, headers: {} },
      { id: claimed[2].id, key: 'car-2', value: { speed: 4 }, ts: 1_790_000_000_002, headers: {} },
    ]);
    expect(await admin.xrange(stream, claimed[2].id.slice(2), '+')).toEqual([
      [claimed[2].id.slice(2), ['e', expect.any(String)]],
    ]);
  });

  it('leaves a connection it was given open when closed', async () => {
    const redis = await server();
    const connection = client(redis.url);
    const storage = await connect(redis.url, { client: connection });
    await storage.close();
    expect(await connection.ping()).toBe('PONG');
    await expect(storage.listTopics()).rejects.toMatchObject({ code: 'E_STORAGE_CLOSED' });
  });

  it('reports a key of another type under its prefix as a fatal error that names the cause', async () => {
    const redis = await server();
    const storage = await connect(redis.url);
    await client(redis.url).set(storage.keys.topicMeta('gps'), 'not a hash');
    await expect(storage.ensureTopic({ name: 'gps', partitions: 1 })).rejects.toMatchObject({
      kind: 'fatal',
      code: 'E_REDIS_WRONGTYPE',
    });
  });
});
