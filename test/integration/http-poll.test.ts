// The http-poll source against a real node:http API on loopback.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import pollSource, { type PollCheckpoint } from '../../connectors/http/poll-source.js';
import type { SluiceError } from '../../core/errors.js';
import type { PollResult, PollSource } from '../../core/plugin.js';
import { createTestContext } from '../harness/http-context.js';
import { closeServer } from '../harness/loopback.js';

const servers: Server[] = [];
const sources: PollSource[] = [];

afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.close?.()));
  await Promise.all(servers.splice(0).map(closeServer));
});

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

async function api(handler: Handler) {
  const requests: Array<{ url: string; headers: IncomingMessage['headers']; body: string }> = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    requests.push({ url: req.url ?? '', headers: req.headers, body });
    handler(req, res, new URL(req.url ?? '/', 'http://x'));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const json = (res: ServerResponse, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

async function source(config: Record<string, unknown>): Promise<PollSource> {
  const s = (await pollSource.create(
    pollSource.config.parse(config),
    createTestContext({ pipeline: 'poll' }),
  )) as PollSource;
  sources.push(s);
  return s;
}

async function thrown(p: Promise<unknown>): Promise<SluiceError> {
  try {
    await p;
  } catch (err) {
    return err as SluiceError;
  }
  throw new Error('expected the promise to reject');
}

const values = (r: PollResult) => r.events.map((e) => e.value);

describe('http-poll: picking events', () => {
  it('picks events with JSONata and reads key and time from each', async () => {
    const a = await api((_req, res) =>
      json(res, {
        data: {
          items: [
            { id: 7, name: 'a', updated: '2024-05-01T10:00:00Z' },
            { id: 8, name: 'b', updated: 1714557600 },
          ],
        },
      }),
    );
    const s = await source({ url: `${a.base}/items`, events: 'data.items', key: 'id', ts: 'updated' });
    const r = await s.poll(undefined);
    expect(r.events.map((e) => [e.key, e.ts, (e.value as { name: string }).name])).toEqual([
      ['7', Date.parse('2024-05-01T10:00:00Z'), 'a'],
      ['8', 1714557600000, 'b'],
    ]);
    expect(r.hasMore).toBe(false);
  });

  it('reads envelopes built by the expression, and NDJSON responses', async () => {
    const a = await api((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end('{"id":"x","v":1}\n{"id":"y","v":2}\n'),
    );
    const s = await source({ url: `${a.base}/`, events: '$.{ "key": id, "value": v }' });
    const r = await s.poll(undefined);
    expect(r.events.map((e) => [e.key, e.value])).toEqual([
      ['x', 1],
      ['y', 2],
    ]);
  });

  it('sends the configured method, headers, body and credentials', async () => {
    const a = await api((_req, res) => json(res, []));
    const s = await source({
      url: `${a.base}/search`,
      method: 'POST',
      body: '{"q":"cars"}',
      headers: { 'X-Api-Version': '2' },
      auth: { type: 'bearer', token: 'tkn' },
    });
    await s.poll(undefined);
    expect(a.requests[0].headers).toMatchObject({
      'x-api-version': '2',
      authorization: 'Bearer tkn',
      'content-type': 'application/json',
    });
    expect(a.requests[0].body).toBe('{"q":"cars"}');
  });
});

describe('http-poll: conditional requests', () => {
  it('asks again with If-None-Match and gets nothing new on 304, then the change', async () => {
    let version = 1;
    const a = await api((req, res) => {
      const etag = `"v${version}"`;
      if (req.headers['if-none-match'] === etag) res.writeHead(304).end();
      else json(res, [{ version }], { etag });
    });
    const s = await source({ url: `${a.base}/state` });
    const first = await s.poll(undefined);
    expect(values(first)).toEqual([{ version: 1 }]);
    const second = await s.poll(first.checkpoint);
    expect(second.events).toEqual([]);
    expect(a.requests[1].headers['if-none-match']).toBe('"v1"');
    version = 2;
    const third = await s.poll(second.checkpoint);
    expect(values(third)).toEqual([{ version: 2 }]);
  });

  it('uses If-Modified-Since when the API gives Last-Modified', async () => {
    const modified = 'Wed, 01 May 2024 10:00:00 GMT';
    const a = await api((req, res) => {
      if (req.headers['if-modified-since'] === modified) res.writeHead(304).end();
      else json(res, [1], { 'last-modified': modified });
    });
    const s = await source({ url: `${a.base}/state` });
    const first = await s.poll(undefined);
    expect((await s.poll(first.checkpoint)).events).toEqual([]);
    expect(a.requests[1].headers['if-modified-since']).toBe(modified);
  });
});

describe('http-poll: pagination and resuming', () => {
  const pages: Record<string, number[]> = { '1': [1, 2], '2': [3, 4], '3': [5] };

  it('follows Link rel="next" and resumes from the stored checkpoint after a restart', async () => {
    const a = await api((_req, res, url) => {
      const page = url.searchParams.get('page') ?? '1';
      const next: Record<string, string> =
        Number(page) < 3 ? { link: `</items?page=${Number(page) + 1}>; rel="next"` } : {};
      json(res, pages[page], next);
    });
    const config = { url: `${a.base}/items`, pagination: { type: 'link-header' } };
    const first = await (await source(config)).poll(undefined);
    expect(values(first)).toEqual([1, 2]);
    expect(first.hasMore).toBe(true);
    expect((first.checkpoint as PollCheckpoint).next).toBe(`${a.base}/items?page=2`);

    // A new process, given the checkpoint the runtime stored, goes on with page 2.
    const restarted = await source(config);
    const second = await restarted.poll(JSON.parse(JSON.stringify(first.checkpoint)));
    expect(values(second)).toEqual([3, 4]);
    const third = await restarted.poll(second.checkpoint);
    expect(values(third)).toEqual([5]);
    expect(third.hasMore).toBe(false);
    // After the last page the next poll starts again at url.
    await restarted.poll(third.checkpoint);
    expect(a.requests.at(-1)?.url).toBe('/items');
  });

  it('follows a next-page URL found in the body', async () => {
    const a = await api((_req, res, url) => {
      const page = url.searchParams.get('page') ?? '1';
      json(res, { items: pages[page], links: { next: Number(page) < 3 ? `/items?page=${Number(page) + 1}` : null } });
    });
    const s = await source({
      url: `${a.base}/items`,
      events: 'items',
      pagination: { type: 'next-url', expression: 'links.next' },
    });
    const seen: unknown[] = [];
    let cp: unknown;
    for (let i = 0; i < 3; i++) {
      const r = await s.poll(cp);
      seen.push(...values(r));
      cp = r.checkpoint;
      if (!r.hasMore) break;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps a cursor as the checkpoint so that a restarted feed reads only what is new', async () => {
    const feed = [10, 11, 12, 13, 14];
    const a = await api((_req, res, url) => {
      const after = Number(url.searchParams.get('after') ?? '0');
      const items = feed.filter((n) => n > after).slice(0, 2);
      json(res, { items, cursor: items.length > 0 ? String(items.at(-1)) : null });
    });
    const config = {
      url: `${a.base}/feed`,
      events: 'items',
      pagination: { type: 'cursor', expression: 'cursor', param: 'after' },
    };
    const s = await source(config);
    const r1 = await s.poll(undefined);
    const r2 = await s.poll(r1.checkpoint);
    expect([...values(r1), ...values(r2)]).toEqual([10, 11, 12, 13]);
    expect(r2.hasMore).toBe(true);
    expect(r2.checkpoint).toEqual({ cursor: '13' });

    const restarted = await source(config);
    const r3 = await restarted.poll(r2.checkpoint);
    expect(values(r3)).toEqual([14]);
    const r4 = await restarted.poll(r3.checkpoint);
    expect(r4.events).toEqual([]);
    expect(r4.hasMore).toBe(false);
    expect(r4.checkpoint).toEqual({ cursor: '14' });
    feed.push(15);
    expect(values(await restarted.poll(r4.checkpoint))).toEqual([15]);
    expect(a.requests.at(-1)?.url).toBe('/feed?after=14');
  });

  it('reads hasMore from the body when told how', async () => {
    const a = await api((_req, res) => json(res, { items: [1], next: 'c2', has_more: false }));
    const s = await source({
      url: `${a.base}/feed`,
      events: 'items',
      pagination: { type: 'cursor', expression: 'next', hasMore: 'has_more' },
    });
    const r = await s.poll(undefined);
    expect(r.hasMore).toBe(false);
    expect(r.checkpoint).toEqual({ cursor: 'c2' });
  });
});

describe('http-poll: errors', () => {
  it('retries 5xx and 429 with their Retry-After', async () => {
    const a = await api((_req, res) => res.writeHead(503, { 'retry-after': '4' }).end('maintenance'));
    const err = await thrown((await source({ url: `${a.base}/` })).poll(undefined));
    expect(err).toMatchObject({ kind: 'retryable', retryAfterMs: 4000 });
  });

  it('stops on 401, 403 and 404 saying what to check', async () => {
    let status = 401;
    const a = await api((_req, res) => res.writeHead(status).end('{"error":"nope"}'));
    const s = await source({ url: `${a.base}/x` });
    expect(await thrown(s.poll(undefined))).toMatchObject({ kind: 'fatal', code: 'E_HTTP_AUTH' });
    status = 404;
    const notFound = await thrown(s.poll(undefined));
    expect(notFound).toMatchObject({ kind: 'fatal', code: 'E_HTTP_STATUS' });
    expect(notFound.message).toContain('check url');
  });

  it('retries a 200 whose body is not JSON', async () => {
    const a = await api((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy</html>'));
    expect(await thrown((await source({ url: `${a.base}/` })).poll(undefined))).toMatchObject({
      kind: 'retryable',
      code: 'E_HTTP_POLL_BODY',
    });
  });

  it('stops on a response over maxResponseBytes', async () => {
    const a = await api((_req, res) =>
      json(
        res,
        Array.from({ length: 10_000 }, (_, i) => i),
      ),
    );
    const err = await thrown((await source({ url: `${a.base}/`, maxResponseBytes: 1000 })).poll(undefined));
    expect(err).toMatchObject({ kind: 'fatal', code: 'E_HTTP_POLL_TOO_LARGE' });
  });

  it('refuses an invalid JSONata expression before polling', async () => {
    await expect(source({ url: 'http://127.0.0.1:1/', events: 'items[' })).rejects.toMatchObject({ kind: 'config' });
  });

  it('gives up on an answer that trickles past timeouts.totalMs, as a retryable timeout', async () => {
    const a = await api((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      const drip = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(drip));
    });
    const startedAt = Date.now();
    const err = await thrown((await source({ url: `${a.base}/`, timeouts: { totalMs: 400 } })).poll(undefined));
    expect(err.kind).toBe('retryable');
    expect(err.message).toMatch(/time/i);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });

  it('retries when the API cannot be reached', async () => {
    const err = await thrown(
      (await source({ url: 'http://127.0.0.1:1/', timeouts: { connectMs: 500 } })).poll(undefined),
    );
    expect(err.kind).toBe('retryable');
  });
});
