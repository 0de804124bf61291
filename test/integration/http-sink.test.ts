// The http sink against real node:http / node:https receivers on loopback.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import httpSink from '../../connectors/http/sink.js';
import { errorKind, type SluiceError } from '../../core/errors.js';
import { createEvent, type SluiceEvent } from '../../core/event.js';
import type { SinkInstance, WriteResult } from '../../core/plugin.js';
import { createTestContext } from '../harness/http-context.js';
import { closeServer } from '../harness/loopback.js';
import { createTestCerts, type TestCerts } from '../harness/tls-certs.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

type Handler = (req: Received, res: ServerResponse, raw: IncomingMessage) => void | Promise<void>;

const servers: Server[] = [];
const sinks: SinkInstance[] = [];

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function collect(handler: Handler) {
  const received: Received[] = [];
  const onRequest = async (raw: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of raw) chunks.push(c as Buffer);
    const req = { method: raw.method ?? '', url: raw.url ?? '', headers: raw.headers, body: Buffer.concat(chunks) };
    received.push(req);
    await handler(req, res, raw);
  };
  return { received, onRequest };
}

async function startReceiver(handler: Handler) {
  const { received, onRequest } = collect(handler);
  const host = await listen(createServer(onRequest));
  return { received, url: `http://${host}`, host };
}

const ok: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
};

async function makeSink(config: Record<string, unknown>) {
  const ctx = createTestContext({ pipeline: 'orders' });
  const sink = await httpSink.create(httpSink.config.parse(config), ctx);
  sinks.push(sink);
  return sink;
}

function events(n: number, from = 0): SluiceEvent[] {
  return Array.from({ length: n }, (_, i) =>
    createEvent({
      key: `k${from + i}`,
      value: { n: from + i, tenant: (from + i) % 2 === 0 ? 'even' : 'odd' },
      ts: 1_700_000_000_000 + i,
      id: `0-1700000000000-${from + i}`,
    }),
  );
}

/** What the runtime will do, reduced to a loop: retry retryable failures after their Retry-After or a backoff. */
async function deliverWithRetries(sink: SinkInstance, batch: SluiceEvent[], deadlineMs = 35_000) {
  const deadline = Date.now() + deadlineMs;
  let attempts = 0;
  for (let backoff = 100; ; backoff = Math.min(backoff * 2, 1000)) {
    attempts++;
    try {
      const result = (await sink.write(batch)) as WriteResult | undefined;
      return { result, attempts };
    } catch (err) {
      if (errorKind(err) !== 'retryable' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, (err as SluiceError).retryAfterMs ?? backoff));
    }
  }
}

async function thrown(p: Promise<unknown>): Promise<SluiceError> {
  try {
    await p;
  } catch (err) {
    return err as SluiceError;
  }
  throw new Error('expected the promise to reject');
}

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close?.()));
  await Promise.all(servers.splice(0).map(closeServer));
});

describe('http sink: bodies, headers and templates', () => {
  it('sends one request per event with an Idempotency-Key naming the pipeline and event id', async () => {
    const r = await startReceiver(ok);
    const sink = await makeSink({ url: `${r.url}/in`, mode: 'event' });
    await sink.write(events(3));
    expect(r.received).toHaveLength(3);
    const keys = r.received.map((q) => q.headers['idempotency-key']).sort();
    expect(keys).toEqual(['orders/0-1700000000000-0', 'orders/0-1700000000000-1', 'orders/0-1700000000000-2']);
    expect(r.received.every((q) => q.method === 'POST' && q.headers['content-type'] === 'application/json')).toBe(true);
    expect(r.received.map((q) => JSON.parse(q.body.toString()).n).sort()).toEqual([0, 1, 2]);
  });

  it('sends a batch as one JSON array, or as gzip-compressed NDJSON', async () => {
    const r = await startReceiver(ok);
    const json = await makeSink({ url: `${r.url}/in` });
    await json.write(events(3));
    expect(r.received).toHaveLength(1);
    expect(JSON.parse(r.received[0].body.toString())).toEqual(events(3).map((e) => e.value));
    expect(r.received[0].headers['idempotency-key']).toMatch(/^orders\/batch-[0-9a-f]{64}$/);

    const nd = await makeSink({ url: `${r.url}/in`, format: 'ndjson', gzip: true, body: 'event' });
    await nd.write(events(2));
    const q = r.received[1];
    expect(q.headers['content-encoding']).toBe('gzip');
    expect(q.headers['content-type']).toBe('application/x-ndjson');
    const lines = gunzipSync(q.body)
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.key, l.id])).toEqual([
      ['k0', '0-1700000000000-0'],
      ['k1', '0-1700000000000-1'],
    ]);
  });

  it('splits a large batch into requests of maxEventsPerRequest', async () => {
    const r = await startReceiver(ok);
    const sink = await makeSink({ url: `${r.url}/in`, maxEventsPerRequest: 4, parallelRequests: 1 });
    await sink.write(events(10));
    expect(r.received.map((q) => JSON.parse(q.body.toString()).length)).toEqual([4, 4, 2]);
  });

  it('fills URL, method and headers from the event, grouping a batch per target', async () => {
    const r = await startReceiver(ok);
    const sink = await makeSink({
      url: `${r.url}/tenants/{{value.tenant}}/events`,
      method: 'PUT',
      headers: { 'x-tenant': '{{ value.tenant }}', 'x-static': 'yes' },
    });
    await sink.write(events(4));
    const byUrl = Object.fromEntries(r.received.map((q) => [q.url, q]));
    expect(Object.keys(byUrl).sort()).toEqual(['/tenants/even/events', '/tenants/odd/events']);
    expect(byUrl['/tenants/odd/events'].headers['x-tenant']).toBe('odd');
    expect(byUrl['/tenants/odd/events'].method).toBe('PUT');
    expect(JSON.parse(byUrl['/tenants/even/events'].body.toString()).map((v: { n: number }) => v.n)).toEqual([0, 2]);
  });

  it('never lets a templated URL reach a host that is not allowed: that record goes to the dead-letter topic', async () => {
    const allowed = await startReceiver(ok);
    const other = await startReceiver(ok);
    const sink = await makeSink({ url: '{{{value.target}}}', mode: 'event', allowedHosts: [allowed.host] });
    const batch = [
      createEvent({ value: { target: `${allowed.url}/a` }, id: '0-1-0' }),
      createEvent({ value: { target: `${other.url}/b` }, id: '0-1-1' }),
      createEvent({ value: { target: `http://${allowed.host}@${other.host}/c` }, id: '0-1-2' }),
    ];
    const result = (await sink.write(batch)) as WriteResult;
    expect(allowed.received.map((q) => q.url)).toEqual(['/a']);
    expect(other.received).toHaveLength(0);
    expect(result.rejected?.map((r) => r.index)).toEqual([1, 2]);
    expect(result.rejected?.[0].error).toMatchObject({ kind: 'record', code: 'E_HTTP_HOST_NOT_ALLOWED' });
  });

  it('refuses a URL templated in its host without allowedHosts before starting', async () => {
    await expect(makeSink({ url: 'https://{{value.host}}/x' })).rejects.toMatchObject({ kind: 'config' });
  });
});

describe('http sink: status policy', () => {
  it('retries through 20 s of 500s and delivers every event exactly once per idempotency key', async () => {
    const failUntil = Date.now() + 20_000;
    const stored = new Map<string, number[]>();
    let failures = 0;
    const r = await startReceiver((req, res) => {
      if (Date.now() < failUntil) {
        failures++;
        res.writeHead(500, { 'retry-after': '1' }).end('warming up');
        return;
      }
      const key = String(req.headers['idempotency-key']);
      if (!stored.has(key))
        stored.set(
          key,
          JSON.parse(req.body.toString()).map((v: { n: number }) => v.n),
        );
      res.writeHead(200).end();
    });
    const sink = await makeSink({ url: `${r.url}/in`, maxEventsPerRequest: 5 });
    const batches = [events(10, 0), events(10, 10), events(10, 20)];
    const results = await Promise.all(batches.map((b) => deliverWithRetries(sink, b)));
    expect(failures).toBeGreaterThan(10);
    expect(results.every((x) => x.attempts > 10)).toBe(true);
    const delivered = [...stored.values()].flat().sort((a, b) => a - b);
    expect(delivered).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(stored.size).toBe(6);
  }, 45_000);

  it('sends only the record the receiver answers 400 for to the dead-letter topic, with status and body', async () => {
    const r = await startReceiver((req, res) => {
      if (JSON.parse(req.body.toString()).n === 2) res.writeHead(400).end('{"error":"n must not be 2"}');
      else res.writeHead(201).end();
    });
    const sink = await makeSink({ url: `${r.url}/in`, mode: 'event' });
    const result = (await sink.write(events(5))) as WriteResult;
    expect(r.received).toHaveLength(5);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected?.[0].index).toBe(2);
    expect(result.rejected?.[0].error).toMatchObject({
      kind: 'record',
      code: 'E_HTTP_STATUS',
      details: { status: 400, body: '{"error":"n must not be 2"}' },
    });
  });

  it('sends every record of a batch request answered 400 to the dead-letter topic', async () => {
    const r = await startReceiver((_req, res) => {
      res.writeHead(422).end('schema mismatch');
    });
    const sink = await makeSink({ url: `${r.url}/in` });
    const result = (await sink.write(events(3))) as WriteResult;
    expect(result.rejected?.map((x) => x.index)).toEqual([0, 1, 2]);
    expect(result.rejected?.[0].error.message).toContain('422');
  });

  it('retries a 429 after the Retry-After the receiver asked for', async () => {
    const r = await startReceiver((_req, res) => {
      res.writeHead(429, { 'retry-after': '7' }).end();
    });
    const sink = await makeSink({ url: `${r.url}/in` });
    const err = await thrown(sink.write(events(1)));
    expect(err).toMatchObject({ kind: 'retryable', code: 'E_HTTP_STATUS', retryAfterMs: 7000 });
  });

  it('stops the pipeline on 401 and says which credentials to check, without showing them', async () => {
    const r = await startReceiver((_req, res) => {
      res.writeHead(401).end();
    });
    const sink = await makeSink({ url: `${r.url}/in`, auth: { type: 'bearer', token: 's3cr3t-token' } });
    const err = await thrown(sink.write(events(1)));
    expect(err).toMatchObject({ kind: 'fatal', code: 'E_HTTP_AUTH' });
    expect(err.message).toContain('auth.token');
    expect(err.message).not.toContain('s3cr3t-token');
    expect(r.received[0].headers.authorization).toBe('Bearer s3cr3t-token');
  });

  it('sends basic credentials', async () => {
    const r = await startReceiver(ok);
    const sink = await makeSink({ url: `${r.url}/in`, auth: { type: 'basic', username: 'u', password: 'p:w' } });
    await sink.write(events(1));
    expect(r.received[0].headers.authorization).toBe(`Basic ${Buffer.from('u:p:w').toString('base64')}`);
  });

  it('retries when the receiver refuses connections', async () => {
    const r = await startReceiver(ok);
    await new Promise<void>((resolve) => servers.pop()?.close(() => resolve()));
    const sink = await makeSink({ url: `${r.url}/in` });
    expect(await thrown(sink.write(events(1)))).toMatchObject({ kind: 'retryable', code: 'E_HTTP_NETWORK' });
  });
});

describe('http sink: connections and timeouts', () => {
  it('loses nothing when the server closes keep-alive connections mid-stream', async () => {
    const stored = new Map<string, number>();
    let requests = 0;
    const r = await startReceiver((req, res, raw) => {
      requests++;
      const key = String(req.headers['idempotency-key']);
      stored.set(key, (stored.get(key) ?? 0) + 1);
      // Every third request is stored and then the connection is dropped before the answer.
      if (requests % 3 === 0) raw.socket.destroy();
      else res.writeHead(200, { connection: requests % 5 === 0 ? 'close' : 'keep-alive' }).end();
    });
    const sink = await makeSink({ url: `${r.url}/in`, mode: 'event', parallelRequests: 4, maxConnections: 2 });
    for (let i = 0; i < 10; i++) await deliverWithRetries(sink, events(10, i * 10));
    expect(stored.size).toBe(100);
    // Repeats only ever carry the same key, so the receiver can drop them.
    expect([...stored.keys()].sort()).toEqual(
      events(100)
        .map((e) => `orders/${e.id}`)
        .sort(),
    );
  });

  it('gives up on a server that never answers within headersMs, as a retryable timeout', async () => {
    const r = await startReceiver(() => {});
    const sink = await makeSink({ url: `${r.url}/in`, timeouts: { headersMs: 300 } });
    const started = Date.now();
    const err = await thrown(sink.write(events(1)));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err).toMatchObject({ kind: 'retryable', code: 'E_HTTP_TIMEOUT' });
  });

  it('cuts off a server that trickles its answer at totalMs', async () => {
    let status = 200;
    const r = await startReceiver((_req, res) => {
      res.writeHead(status);
      const timer = setInterval(() => res.write('.'), 50);
      res.on('close', () => clearInterval(timer));
    });
    const sink = await makeSink({ url: `${r.url}/in`, timeouts: { totalMs: 500, bodyMs: 5000 } });
    // A 2xx status is the receiver's acceptance: the write succeeds once the endless body is cut off.
    let started = Date.now();
    await sink.write(events(1));
    expect(Date.now() - started).toBeLessThan(3000);
    status = 503;
    started = Date.now();
    const err = await thrown(sink.write(events(1)));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err).toMatchObject({ kind: 'retryable', details: { status: 503 } });
  });
});

describe('http sink: OAuth2 client credentials', () => {
  it('fetches a token once, reuses it, and fetches a new one when it expires or is refused', async () => {
    let issued = 0;
    const tokenRequests: Received[] = [];
    const revoked = new Set<string>();
    const { onRequest } = collect((req, res) => {
      tokenRequests.push(req);
      issued++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ access_token: `tok-${issued}`, token_type: 'Bearer', expires_in: issued === 1 ? 3600 : 1 }),
      );
    });
    const tokenHost = await listen(createServer(onRequest));
    const api = await startReceiver((req, res) => {
      const token = String(req.headers.authorization).replace('Bearer ', '');
      if (revoked.has(token)) res.writeHead(401).end();
      else res.writeHead(200).end();
    });
    const sink = await makeSink({
      url: `${api.url}/in`,
      auth: {
        type: 'oauth2',
        tokenUrl: `http://${tokenHost}/token`,
        clientId: 'client a',
        clientSecret: 'shh',
        scope: 'events:write',
      },
    });
    await sink.write(events(1));
    await sink.write(events(1, 1));
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0].headers.authorization).toBe(`Basic ${Buffer.from('client%20a:shh').toString('base64')}`);
    expect(new URLSearchParams(tokenRequests[0].body.toString()).get('scope')).toBe('events:write');
    expect(api.received.map((q) => q.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1']);

    revoked.add('tok-1');
    const err = await thrown(sink.write(events(1, 2)));
    expect(err).toMatchObject({ kind: 'retryable', code: 'E_HTTP_AUTH' });
    await sink.write(events(1, 2));
    expect(api.received.at(-1)?.headers.authorization).toBe('Bearer tok-2');

    // tok-2 lives 1 s (less its margin): the next write after that fetches tok-3.
    await new Promise((r) => setTimeout(r, 1100));
    await sink.write(events(1, 3));
    expect(api.received.at(-1)?.headers.authorization).toBe('Bearer tok-3');
  });

  it('stops the pipeline when the token endpoint refuses the client credentials', async () => {
    const { onRequest } = collect((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
    });
    const tokenHost = await listen(createServer(onRequest));
    const api = await startReceiver(ok);
    const sink = await makeSink({
      url: `${api.url}/in`,
      auth: { type: 'oauth2', tokenUrl: `http://${tokenHost}/token`, clientId: 'a', clientSecret: 'wrong-secret' },
    });
    const err = await thrown(sink.write(events(1)));
    expect(err).toMatchObject({ kind: 'fatal', code: 'E_OAUTH2_REFUSED' });
    expect(err.message).toContain('invalid_client');
    expect(err.message).not.toContain('wrong-secret');
    expect(api.received).toHaveLength(0);
  });
});

describe('http sink: TLS', () => {
  let certs: TestCerts;
  let url: string;
  const seen: string[] = [];

  beforeAll(async () => {
    certs = createTestCerts();
  });
  afterAll(() => certs.remove());

  async function startTlsReceiver() {
    const server = createHttpsServer(
      { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        seen.push(String((req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN));
        req.resume();
        req.on('end', () => res.writeHead(200).end());
      },
    );
    const host = await listen(server as unknown as Server);
    url = `https://${host}/in`;
  }

  it('delivers over mutual TLS with a custom CA', async () => {
    await startTlsReceiver();
    const sink = await makeSink({ url, tls: { ca: certs.caFile, cert: certs.clientCert, key: certs.clientKey } });
    await sink.write(events(1));
    expect(seen).toEqual(['client']);
  });

  it('stops the pipeline when the server certificate is not trusted, naming tls.ca', async () => {
    await startTlsReceiver();
    const sink = await makeSink({ url, tls: { ca: certs.otherCa, cert: certs.clientCert, key: certs.clientKey } });
    const err = await thrown(sink.write(events(1)));
    expect(err).toMatchObject({ kind: 'fatal', code: 'E_HTTP_TLS' });
    expect(err.message).toContain('tls.ca');
  });

  it('refuses a client certificate without its key in the config', () => {
    expect(() => httpSink.config.parse({ url: 'https://x.test/', tls: { cert: 'x.pem' } })).toThrow(
      /tls.cert and tls.key/,
    );
  });
});
