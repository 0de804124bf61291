// The http ingest server, driven by curl, storing into the embedded MemoryStorage.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signPayload } from '../../connectors/http/signature.js';
import httpSource, { type HttpSourceInstance } from '../../connectors/http/source.js';
import { RetryableError } from '../../core/errors.js';
import type { Emit } from '../../core/plugin.js';
import { MemoryStorage } from '../../core/storage/memory.js';
import { RedisStorage } from '../../core/storage/redis.js';
import type { Storage } from '../../core/storage/storage.js';
import { curl, curlStreamingZeros } from '../harness/curl.js';
import { createTestContext, type TestContext } from '../harness/http-context.js';
import { freePort } from '../harness/loopback.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';
import { createTestCerts, type TestCerts } from '../harness/tls-certs.js';

const TOPIC = 'ingest';

interface Running {
  source: HttpSourceInstance;
  ctx: TestContext;
  url: string;
  storage: Storage;
  stored(): Promise<Array<{ key: string | null; value: unknown; ts: number; headers: Record<string, string> }>>;
  listening: Promise<void>;
}

const running: Running[] = [];
let dir: string;

beforeAll(() => {
  execFileSync('curl', ['--version']);
  dir = mkdtempSync(join(tmpdir(), 'sluice-http-source-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  for (const r of running.splice(0)) {
    r.ctx.controller.abort();
    await r.listening.catch(() => {});
  }
});

async function start(
  config: Record<string, unknown>,
  wrapEmit: (emit: Emit) => Emit = (e) => e,
  storage: Storage = new MemoryStorage(),
): Promise<Running> {
  await storage.ensureTopic({ name: TOPIC, partitions: 2 });
  const ctx = createTestContext({ pipeline: 'ingest', state: storage.state('http-source-test') });
  const source = (await httpSource.create(
    httpSource.config.parse({ host: '127.0.0.1', port: 0, path: '/in', ...config }),
    ctx,
  )) as unknown as HttpSourceInstance;
  const emit: Emit = (events, options) =>
    storage.append(TOPIC, events, options?.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {});
  const listening = source.listen(wrapEmit(emit));
  listening.catch(() => {});
  const { url } = await source.address();
  const r: Running = {
    source,
    ctx,
    url,
    storage,
    listening,
    stored: async () =>
      (await storage.read(TOPIC, {})).map(({ key, value, ts, headers }) => ({ key, value, ts, headers })),
  };
  running.push(r);
  return r;
}

function file(name: string, content: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const JSON_TYPE = ['-H', 'content-type: application/json'];

describe('http source: every body type, posted with curl', () => {
  it('stores a bare JSON value with the key and time from headers', async () => {
    const r = await start({});
    const res = await curl([
      ...JSON_TYPE,
      '-H',
      'x-event-key: car-1',
      '-H',
      'x-event-time: 2024-05-01T10:00:00Z',
      '-d',
      '{"speed":42}',
      r.url,
    ]);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ stored: 1, duplicate: false });
    expect(await r.stored()).toEqual([
      { key: 'car-1', value: { speed: 42 }, ts: Date.parse('2024-05-01T10:00:00Z'), headers: {} },
    ]);
  });

  it('stores a JSON envelope with its own key and timestamp', async () => {
    const r = await start({});
    const res = await curl([...JSON_TYPE, '-d', '{"key":"k9","value":{"a":1},"timestamp":1714557600}', r.url]);
    expect(res.status).toBe(200);
    expect(await r.stored()).toEqual([{ key: 'k9', value: { a: 1 }, ts: 1714557600000, headers: {} }]);
  });

  it('stores each element of a JSON array, query parameters giving the defaults', async () => {
    const r = await start({});
    const body = JSON.stringify([{ key: 'a', value: 1, ts: 1000 }, 'plain', { value: { x: 2 } }]);
    const res = await curl([...JSON_TYPE, '--data-binary', body, `${r.url}?key=dflt&ts=1714557600000`]);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ stored: 3 });
    const stored = (await r.stored()).sort((x, y) => String(x.value).localeCompare(String(y.value)));
    expect(stored).toEqual(
      expect.arrayContaining([
        { key: 'a', value: 1, ts: 1_000_000, headers: {} },
        { key: 'dflt', value: 'plain', ts: 1714557600000, headers: {} },
        { key: 'dflt', value: { x: 2 }, ts: 1714557600000, headers: {} },
      ]),
    );
  });

  it('stores NDJSON, one event per line', async () => {
    const r = await start({});
    const body = '{"key":"a","value":1}\n{"key":"b","value":2}\n\n{"key":"c","value":3}\n';
    const res = await curl([
      '-H',
      'content-type: application/x-ndjson',
      '--data-binary',
      `@${file('b.ndjson', body)}`,
      r.url,
    ]);
    expect(res.status).toBe(200);
    expect((await r.stored()).map((e) => [e.key, e.value]).sort()).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
  });

  it('stores a structured CloudEvent: data as value, partitionkey as key, time as ts, attributes as headers', async () => {
    const r = await start({});
    const ce = {
      specversion: '1.0',
      id: 'evt-1',
      source: '/cars',
      type: 'car.moved',
      time: '2024-05-01T10:00:00Z',
      partitionkey: 'car-7',
      datacontenttype: 'application/json',
      data: { speed: 3 },
    };
    const res = await curl(['-H', 'content-type: application/cloudevents+json', '-d', JSON.stringify(ce), r.url]);
    expect(res.status).toBe(200);
    const [e] = await r.stored();
    expect(e).toMatchObject({ key: 'car-7', value: { speed: 3 }, ts: Date.parse('2024-05-01T10:00:00Z') });
    expect(e.headers).toMatchObject({ 'ce-id': 'evt-1', 'ce-source': '/cars', 'ce-type': 'car.moved' });
  });

  it('stores a CloudEvents batch', async () => {
    const r = await start({});
    const batch = [1, 2].map((n) => ({ specversion: '1.0', id: `e${n}`, source: '/s', type: 't', data: { n } }));
    const res = await curl([
      '-H',
      'content-type: application/cloudevents-batch+json',
      '-d',
      JSON.stringify(batch),
      r.url,
    ]);
    expect(res.status).toBe(200);
    expect((await r.stored()).map((e) => e.headers['ce-id']).sort()).toEqual(['e1', 'e2']);
  });

  it('stores a binary-mode CloudEvent from ce-* headers and the body', async () => {
    const r = await start({});
    const res = await curl([
      ...['-H', 'ce-specversion: 1.0', '-H', 'ce-id: b-1', '-H', 'ce-source: /sensors', '-H', 'ce-type: reading'],
      ...['-H', 'ce-time: 2024-05-01T10:00:00Z', '-H', 'ce-partitionkey: s-3', ...JSON_TYPE],
      '-d',
      '{"temp":21.5}',
      r.url,
    ]);
    expect(res.status).toBe(200);
    expect(await r.stored()).toEqual([
      {
        key: 's-3',
        value: { temp: 21.5 },
        ts: Date.parse('2024-05-01T10:00:00Z'),
        headers: expect.objectContaining({ 'ce-id': 'b-1', 'ce-type': 'reading', 'ce-source': '/sensors' }),
      },
    ]);
  });

  it('refuses an invalid CloudEvent with 400 and stores nothing', async () => {
    const r = await start({});
    const res = await curl(['-H', 'content-type: application/cloudevents+json', '-d', '{"specversion":"1.0"}', r.url]);
    expect(res.status).toBe(400);
    expect(res.body).toContain('CloudEvent');
    expect(await r.stored()).toEqual([]);
  });

  it('stores raw bytes as they are, with key and time from query parameters', async () => {
    const r = await start({});
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const res = await curl([
      '-H',
      'content-type: application/octet-stream',
      '--data-binary',
      `@${file('raw.bin', bytes)}`,
      `${r.url}?key=dev-1&ts=1714557600`,
    ]);
    expect(res.status).toBe(200);
    expect(await r.stored()).toEqual([
      {
        key: 'dev-1',
        value: new Uint8Array(bytes),
        ts: 1714557600000,
        headers: { 'content-type': 'application/octet-stream' },
      },
    ]);
  });

  it('inflates a gzip body', async () => {
    const r = await start({});
    const body = gzipSync(Array.from({ length: 100 }, (_, i) => JSON.stringify({ key: `k${i}`, value: i })).join('\n'));
    const res = await curl([
      '-H',
      'content-type: application/x-ndjson',
      '-H',
      'content-encoding: gzip',
      '--data-binary',
      `@${file('b.ndjson.gz', body)}`,
      r.url,
    ]);
    expect(res.status).toBe(200);
    expect(await r.stored()).toHaveLength(100);
  });

  it('refuses a gzip body that inflates past maxDecompressedBytes with 413', async () => {
    const r = await start({ maxDecompressedBytes: 1024 * 1024 });
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.byteLength).toBeLessThan(200 * 1024);
    const res = await curl(['-H', 'content-encoding: gzip', '--data-binary', `@${file('bomb.gz', bomb)}`, r.url]);
    expect(res.status).toBe(413);
    expect(res.body).toContain('inflated');
    expect(await r.stored()).toEqual([]);
  });

  it('refuses a request with one bad NDJSON line whole, saying which line', async () => {
    const r = await start({});
    const res = await curl(['-H', 'content-type: application/x-ndjson', '--data-binary', '{"a":1}\n{oops}\n', r.url]);
    expect(res.status).toBe(400);
    expect(res.body).toContain('line 2');
    expect(await r.stored()).toEqual([]);
  });

  it('refuses a bad event time with 400', async () => {
    const r = await start({});
    const res = await curl([...JSON_TYPE, '-H', 'x-event-time: yesterday', '-d', '1', r.url]);
    expect(res.status).toBe(400);
    expect(res.body).toContain('yesterday');
  });
});

describe('http source: idempotency and overload', () => {
  it('stores a retried request with the same Idempotency-Key once, answering with the first ids', async () => {
    const r = await start({});
    const args = [...JSON_TYPE, '-H', 'Idempotency-Key: order-77', '-d', '[1,2,3]', r.url];
    const first = await curl(args);
    const second = await curl(args);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.json).toMatchObject({ duplicate: true, ids: (first.json as { ids: string[] }).ids });
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(await r.stored()).toHaveLength(3);
  });

  it('answers 429 with Retry-After when storage lag is over its threshold, and stores nothing', async () => {
    const r = await start({}, () => async () => {
      throw new RetryableError('lag of topic ingest is 120000 events, over 100000', {
        code: 'E_BACKPRESSURE',
        retryAfterMs: 2500,
      });
    });
    const res = await curl([...JSON_TYPE, '-d', '1', r.url]);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('3');
    expect(await r.stored()).toEqual([]);
    const ready = await curl([new URL('/readyz', r.url).href]);
    expect(ready.status).toBe(503);
  });

  it('answers 503 with Retry-After when storage is unavailable, and stores nothing', async () => {
    const r = await start({ retryAfterSeconds: 7 }, () => async () => {
      throw new RetryableError('connection to Redis lost', { code: 'E_REDIS' });
    });
    const res = await curl([...JSON_TYPE, '-d', '1', r.url]);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('7');
  });

  it('answers 503 when more requests than maxConcurrentRequests are in progress', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const r = await start({ maxConcurrentRequests: 1 }, (emit) => async (events, o) => {
      await gate;
      return emit(events, o);
    });
    const slow = curl([...JSON_TYPE, '-d', '1', r.url]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = await curl([...JSON_TYPE, '-d', '2', r.url]);
    release();
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect((await slow).status).toBe(200);
    expect((await r.stored()).map((e) => e.value)).toEqual([1]);
  });

  describe('slow request bodies', () => {
    // A socket that sends headers (asking for 100 Continue) and one byte of a 1000-byte body, then stalls.
    // Resolves with the first status line the server sends: 100 once it is reading the body, or a refusal.
    function stallBody(url: string, localAddress: string, sockets: Socket[], forwardedFor?: string): Promise<string> {
      const { hostname, port, pathname } = new URL(url);
      const forwarded = forwardedFor === undefined ? '' : `x-forwarded-for: ${forwardedFor}\r\n`;
      return new Promise((resolve, reject) => {
        const socket = connect({ host: hostname, port: Number(port), localAddress }, () => {
          socket.write(
            `POST ${pathname} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n${forwarded}expect: 100-continue\r\n\r\n`,
          );
        });
        sockets.push(socket);
        socket.once('data', (chunk) => {
          const line = chunk.toString('latin1').split('\r\n', 1)[0];
          if (line.includes(' 100 ')) socket.write('[');
          resolve(line);
        });
        socket.once('error', reject);
      });
    }

    const sockets: Socket[] = [];
    afterEach(() => {
      for (const s of sockets.splice(0)) s.destroy();
    });

    it('keeps serving valid senders while 70 slow bodies from 70 clients are being read', async () => {
      const r = await start({ bodyTimeoutMs: 120_000 });
      const lines = await Promise.all(
        Array.from({ length: 70 }, (_, i) => stallBody(r.url, `127.0.1.${i + 1}`, sockets)),
      );
      expect(lines.every((l) => l === 'HTTP/1.1 100 Continue')).toBe(true);
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => curl([...JSON_TYPE, '-d', String(i), r.url])),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      expect((await r.stored()).length).toBe(20);
    });

    it('answers 429 to one client over maxRequestsPerClient, and serves the others', async () => {
      const r = await start({ bodyTimeoutMs: 120_000, maxRequestsPerClient: 8 });
      const lines = await Promise.all(Array.from({ length: 70 }, () => stallBody(r.url, '127.0.0.2', sockets)));
      expect(lines.filter((l) => l === 'HTTP/1.1 100 Continue')).toHaveLength(8);
      expect(lines.filter((l) => l === 'HTTP/1.1 429 Too Many Requests')).toHaveLength(62);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => curl([...JSON_TYPE, '-d', String(i), r.url])),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    });

    it('serves every request of a client over maxRequestsPerClient whose bodies have arrived, while storage is slow', async () => {
      // Every store waits until all ten requests are storing at once (each with its body read), however slowly
      // the curls start; a refused request never gets there, so the wait also ends after 20 s. Only bodies still
      // arriving count against the client, so none is refused.
      let storing = 0;
      let allStoring!: () => void;
      const gate = new Promise<void>((resolve) => {
        allStoring = resolve;
        setTimeout(resolve, 20_000).unref();
      });
      const slowStore =
        (emit: Emit): Emit =>
        async (events, options) => {
          if (++storing === 10) allStoring();
          await gate;
          return emit(events, options);
        };
      const r = await start({ maxRequestsPerClient: 2 }, slowStore);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => curl([...JSON_TYPE, '--interface', '127.0.0.5', '-d', String(i), r.url])),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
      expect((await r.stored()).map((e) => e.value).sort()).toEqual(Array.from({ length: 10 }, (_, i) => i));
    });

    it('behind a trusted proxy, counts each client X-Forwarded-For names, not the proxy', async () => {
      const r = await start({ bodyTimeoutMs: 120_000, maxRequestsPerClient: 4, trustedProxies: ['127.0.0.3'] });
      const slow = await Promise.all(
        Array.from({ length: 6 }, () => stallBody(r.url, '127.0.0.3', sockets, '198.51.100.1')),
      );
      expect(slow.filter((l) => l === 'HTTP/1.1 100 Continue')).toHaveLength(4);
      expect(slow.filter((l) => l === 'HTTP/1.1 429 Too Many Requests')).toHaveLength(2);
      // Another client through the same proxy is served; a forged header from an untrusted peer counts nothing.
      const other = await stallBody(r.url, '127.0.0.3', sockets, '198.51.100.2');
      expect(other).toBe('HTTP/1.1 100 Continue');
      const forged = await Promise.all(
        Array.from({ length: 5 }, (_, i) => stallBody(r.url, '127.0.0.4', sockets, `203.0.113.${i}`)),
      );
      expect(forged.filter((l) => l === 'HTTP/1.1 429 Too Many Requests')).toHaveLength(1);
    });
  });

  it('refuses a body over maxBodyBytes with 413 before reading it', async () => {
    const r = await start({ maxBodyBytes: 1000 });
    const res = await curl(['--data-binary', `@${file('2k.bin', Buffer.alloc(2000, 1))}`, r.url]);
    expect(res.status).toBe(413);
    expect(await r.stored()).toEqual([]);
  });

  it('refuses a streamed 50 MB body with 413 while memory grows by no more than the limit', async () => {
    const limit = 8 * 1024 * 1024;
    const r = await start({ maxBodyBytes: limit });
    // Warm the server up so that the measurement holds the refusal only.
    expect((await curl([...JSON_TYPE, '-d', '1', r.url])).status).toBe(200);
    const measure = async (args: string[]) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const before = process.memoryUsage().rss;
      let peak = before;
      const timer = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 2);
      const res = await curlStreamingZeros(50 * 1024 * 1024, args);
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      return { res, growth: peak - before };
    };
    // Chunked, no length announced, no 100-continue: the server must read up to the limit and stop there.
    const chunked = await measure([
      '-X',
      'POST',
      '-H',
      'Expect:',
      '-H',
      'Transfer-Encoding: chunked',
      '-T',
      '-',
      r.url,
    ]);
    expect(chunked.res.status).toBe(413);
    // RSS is counted in pages and includes socket buffers: the body up to the limit is what may be held.
    expect(chunked.growth).toBeLessThanOrEqual(limit + 1024 * 1024);
    // With a Content-Length the body is refused before any of it is read.
    const announced = await measure(['-H', 'Expect:', '--data-binary', '@-', r.url]);
    expect(announced.res.status).toBe(413);
    expect(announced.growth).toBeLessThanOrEqual(limit);
    // curl's own Expect: 100-continue gets the 413 instead of the go-ahead, and never sends the body.
    const expecting = await measure(['--data-binary', '@-', r.url]);
    expect(expecting.res.status).toBe(413);
    expect(expecting.growth).toBeLessThanOrEqual(limit);
    expect(await r.stored()).toHaveLength(1);
  }, 60_000);
});

describe('http source: authentication', () => {
  it('requires one of the bearer tokens', async () => {
    const r = await start({ auth: { bearerTokens: ['tok-a', 'tok-b'] } });
    const none = await curl([...JSON_TYPE, '-d', '1', r.url]);
    const wrong = await curl([...JSON_TYPE, '-H', 'authorization: Bearer tok-c', '-d', '1', r.url]);
    const right = await curl([...JSON_TYPE, '-H', 'authorization: Bearer tok-b', '-d', '2', r.url]);
    expect([none.status, wrong.status, right.status]).toEqual([401, 401, 200]);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    // A large upload (curl waits for 100 Continue) is refused before its body is sent.
    const big = await curl(['--data-binary', `@${file('2m.bin', Buffer.alloc(2 * 1024 * 1024, 7))}`, r.url]);
    expect(big.status).toBe(401);
    expect((await r.stored()).map((e) => e.value)).toEqual([2]);
  });

  describe('HMAC signatures', () => {
    const secret = 'a-shared-secret-of-some-length';
    const hmac = { secret, toleranceSeconds: 60 };
    const signed = (body: string, at = Math.floor(Date.now() / 1000), key = secret) => {
      const ts = String(at);
      return ['-H', `x-signature-timestamp: ${ts}`, '-H', `x-signature: ${signPayload(key, ts, body)}`];
    };

    it('accepts a valid signature', async () => {
      const r = await start({ auth: { hmac } });
      const res = await curl([...JSON_TYPE, ...signed('{"a":1}'), '-d', '{"a":1}', r.url]);
      expect(res.status).toBe(200);
      expect(await r.stored()).toHaveLength(1);
    });

    it('refuses a wrong signature, a missing one and a stale one with 401, storing nothing', async () => {
      const r = await start({ auth: { hmac } });
      const wrongKey = await curl([
        ...JSON_TYPE,
        ...signed('{"a":1}', undefined, 'another-secret-entirely'),
        '-d',
        '{"a":1}',
        r.url,
      ]);
      const otherBody = await curl([...JSON_TYPE, ...signed('{"a":1}'), '-d', '{"a":2}', r.url]);
      const missing = await curl([...JSON_TYPE, '-d', '{"a":1}', r.url]);
      const stale = await curl([
        ...JSON_TYPE,
        ...signed('{"a":1}', Math.floor(Date.now() / 1000) - 120),
        '-d',
        '{"a":1}',
        r.url,
      ]);
      expect([wrongKey.status, otherBody.status, missing.status, stale.status]).toEqual([401, 401, 401, 401]);
      expect(stale.body).toContain('tolerance');
      expect(await r.stored()).toEqual([]);
    });

    it('refuses a replayed signature with 409, storing the events once', async () => {
      const r = await start({ auth: { hmac } });
      const args = [...JSON_TYPE, ...signed('{"a":1}'), '-d', '{"a":1}', r.url];
      expect((await curl(args)).status).toBe(200);
      const replay = await curl(args);
      expect(replay.status).toBe(409);
      expect(replay.body).toContain('replay');
      expect(await r.stored()).toHaveLength(1);
    });

    it('signs the body as sent, so a signed gzip body is accepted', async () => {
      const r = await start({ auth: { hmac } });
      const gz = gzipSync('{"a":1}');
      const ts = String(Math.floor(Date.now() / 1000));
      const res = await curl([
        ...JSON_TYPE,
        '-H',
        'content-encoding: gzip',
        '-H',
        `x-signature-timestamp: ${ts}`,
        '-H',
        `x-signature: ${signPayload(secret, ts, gz)}`,
        '--data-binary',
        `@${file('signed.gz', gz)}`,
        r.url,
      ]);
      expect(res.status).toBe(200);
    });

    it('lets a request refused by storage be sent again with the same signature', async () => {
      let isDown = true;
      const r = await start({ auth: { hmac } }, (emit) => async (events, o) => {
        if (isDown) throw new RetryableError('storage down');
        return emit(events, o);
      });
      const args = [...JSON_TYPE, ...signed('{"a":1}'), '-d', '{"a":1}', r.url];
      expect((await curl(args)).status).toBe(503);
      isDown = false;
      expect((await curl(args)).status).toBe(200);
      expect(await r.stored()).toHaveLength(1);
    });
  });
});

describe('http source: a fleet of ingest servers on Redis', () => {
  const prefix = uniquePrefix('http-source');
  const opened: RedisStorage[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
    const admin = await connectTestRedis();
    await deleteKeysWithPrefix(admin, prefix);
    admin.disconnect();
  });
  const worker = async (config: Record<string, unknown>) => {
    const storage = await RedisStorage.connect({ url: TEST_REDIS_URL, prefix, connectTimeoutMs: 5000 });
    opened.push(storage);
    return start(config, undefined, storage);
  };

  it('answers 200 once the Redis append returned, and stores a retry to another worker once', async () => {
    const a = await worker({});
    const b = await worker({});
    const args = (url: string) => [...JSON_TYPE, '-H', 'Idempotency-Key: fleet-1', '-d', '[1,2]', url];
    const first = await curl(args(a.url));
    const retried = await curl(args(b.url));
    expect(first.status).toBe(200);
    expect(retried.json).toMatchObject({ duplicate: true, ids: (first.json as { ids: string[] }).ids });
    expect((await a.stored()).map((e) => e.value).sort()).toEqual([1, 2]);
  });

  it('refuses a signature replayed to another worker', async () => {
    const hmac = { secret: 'a-shared-secret-of-some-length', toleranceSeconds: 60 };
    const a = await worker({ auth: { hmac } });
    const b = await worker({ auth: { hmac } });
    const ts = String(Math.floor(Date.now() / 1000));
    const signed = ['-H', `x-signature-timestamp: ${ts}`, '-H', `x-signature: ${signPayload(hmac.secret, ts, '3')}`];
    expect((await curl([...JSON_TYPE, ...signed, '-d', '3', a.url])).status).toBe(200);
    expect((await curl([...JSON_TYPE, ...signed, '-d', '3', b.url])).status).toBe(409);
    expect((await b.stored()).filter((e) => e.value === 3)).toHaveLength(1);
  });
});

describe('http source: TLS, CORS, shared ports, health and shutdown', () => {
  let certs: TestCerts;
  beforeAll(() => {
    certs = createTestCerts();
  });
  afterAll(() => certs.remove());

  it('serves HTTPS with the configured certificate and key', async () => {
    const r = await start({ tls: { cert: certs.serverCertFile, key: certs.serverKey } });
    expect(r.url.startsWith('https://')).toBe(true);
    const res = await curl(['--cacert', certs.caFile, ...JSON_TYPE, '-d', '1', r.url]);
    expect(res.status).toBe(200);
    expect(await r.stored()).toHaveLength(1);
  });

  it('keeps CORS off by default and answers listed origins when configured', async () => {
    const off = await start({});
    const plain = await curl(['-H', 'origin: https://app.example.com', ...JSON_TYPE, '-d', '1', off.url]);
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    expect((await curl(['-X', 'OPTIONS', '-H', 'origin: https://app.example.com', off.url])).status).toBe(405);

    const on = await start({ cors: { allowedOrigins: ['https://app.example.com'] } });
    const preflight = await curl([
      '-X',
      'OPTIONS',
      '-H',
      'origin: https://app.example.com',
      '-H',
      'access-control-request-method: POST',
      on.url,
    ]);
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(preflight.headers['access-control-allow-headers']).toContain('idempotency-key');
    const post = await curl(['-H', 'origin: https://app.example.com', ...JSON_TYPE, '-d', '1', on.url]);
    expect(post.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const other = await curl(['-H', 'origin: https://evil.example', ...JSON_TYPE, '-d', '1', on.url]);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses other methods with 405 and an Allow header', async () => {
    const r = await start({});
    const res = await curl([r.url]);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST, PUT');
  });

  it('lets two pipelines share a port on different paths, with /healthz and /readyz', async () => {
    const port = await freePort();
    const gps = await start({ port, path: '/gps' });
    const logs = await start({ port, path: '/logs/' });
    await curl([...JSON_TYPE, '-d', '"fix"', gps.url]);
    await curl([...JSON_TYPE, '-d', '"line"', `http://127.0.0.1:${port}/logs`]);
    expect((await gps.stored()).map((e) => e.value)).toEqual(['fix']);
    expect((await logs.stored()).map((e) => e.value)).toEqual(['line']);
    expect((await curl([`http://127.0.0.1:${port}/healthz`])).status).toBe(200);
    const ready = await curl([`http://127.0.0.1:${port}/readyz`]);
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ status: 'ready', routes: { '/gps': 'ready', '/logs': 'ready' } });
    expect((await curl([...JSON_TYPE, '-d', '1', `http://127.0.0.1:${port}/nope`])).status).toBe(404);

    // The same path twice, or different TLS on one port, is a configuration error.
    const dup = await httpSource.create(
      httpSource.config.parse({ host: '127.0.0.1', port, path: '/gps' }),
      createTestContext(),
    );
    await expect(
      (dup as unknown as HttpSourceInstance).listen(async () => ({ ids: [], duplicate: false })),
    ).rejects.toMatchObject({
      kind: 'config',
    });
    const tls = await httpSource.create(
      httpSource.config.parse({
        host: '127.0.0.1',
        port,
        path: '/x',
        tls: { cert: certs.serverCert, key: certs.serverKey },
      }),
      createTestContext(),
    );
    await expect(
      (tls as unknown as HttpSourceInstance).listen(async () => ({ ids: [], duplicate: false })),
    ).rejects.toThrow(/different tls/);

    // One pipeline stopping leaves the other serving.
    gps.ctx.controller.abort();
    await gps.listening;
    expect((await curl([...JSON_TYPE, '-d', '1', gps.url])).status).toBe(404);
    expect((await curl([...JSON_TYPE, '-d', '"more"', logs.url])).status).toBe(200);
  });

  it('fails to start with a clear error when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const source = (await httpSource.create(
        httpSource.config.parse({ host: '127.0.0.1', port, path: '/in' }),
        createTestContext(),
      )) as unknown as HttpSourceInstance;
      await expect(source.listen(async () => ({ ids: [], duplicate: false }))).rejects.toMatchObject({
        kind: 'fatal',
        code: 'E_HTTP_LISTEN',
        message: expect.stringContaining('EADDRINUSE'),
      });
    } finally {
      blocker.close();
    }
  });

  it('on shutdown answers the requests in flight, then stops listening', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const r = await start({}, (emit) => async (events, o) => {
      await gate;
      return emit(events, o);
    });
    const inFlight = curl([...JSON_TYPE, '-d', '1', r.url]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    r.ctx.controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    expect((await inFlight).status).toBe(200);
    await r.listening;
    await expect(curl([...JSON_TYPE, '-d', '1', r.url])).rejects.toThrow(/curl/);
    expect(await r.stored()).toHaveLength(1);
  });

  it('stops the source when storage reports a fatal error, answering 500', async () => {
    const r = await start({}, () => async () => {
      throw Object.assign(new Error('topic ingest does not exist'), { kind: 'fatal', code: 'E_TOPIC' });
    });
    const res = await curl([...JSON_TYPE, '-d', '1', r.url]);
    expect(res.status).toBe(500);
    await expect(r.listening).rejects.toMatchObject({ kind: 'fatal' });
  });
});
