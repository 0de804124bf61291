// Abuse of the HTTP ingest: wrong or missing credentials, forged, stale and replayed signatures, and slow
// senders. Every hostile request must be refused with nothing stored; valid senders must keep being served.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { signPayload } from '../../connectors/http/signature.js';
import httpSource, { type HttpSourceInstance } from '../../connectors/http/source.js';
import { MemoryStorage } from '../../core/storage/memory.js';
import { recordFigure } from '../harness/figures.js';
import { createTestContext } from '../harness/http-context.js';

const TOKEN = 'tok-7f3a9c2e5b1d4e6f';
const SECRET = 'hmac-secret-0123456789abcdef';
const stops: Array<() => Promise<void>> = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const stop of stops.splice(0)) await stop();
});

async function ingest(config: Record<string, unknown>) {
  const storage = new MemoryStorage();
  await storage.ensureTopic({ name: 't', partitions: 1 });
  const ctx = createTestContext({ pipeline: 'abuse', state: storage.state('abuse') });
  const source = (await httpSource.create(
    httpSource.config.parse({ host: '127.0.0.1', port: 0, path: '/in', ...config }),
    ctx,
  )) as unknown as HttpSourceInstance;
  const listening = source.listen((events, o) =>
    storage.append('t', events, o?.idempotencyKey ? { idempotencyKey: o.idempotencyKey } : {}),
  );
  listening.catch(() => {});
  stops.push(async () => {
    ctx.controller.abort();
    await listening.catch(() => {});
  });
  const { url } = await source.address();
  const post = (headers: Record<string, string>, body: string) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then(
      async (r) => ({ status: r.status, text: await r.text() }),
    );
  return { url, post, stored: async () => (await storage.read('t', {})).length };
}

function record(name: string, statuses: number[], expected: (status: number) => boolean) {
  recordFigure({
    suite: 'security',
    case: name,
    tries: statuses.length,
    held: statuses.filter(expected).length,
  });
}

describe('ingest abuse', () => {
  it('bearer: every wrong, missing or malformed token is refused with 401, nothing stored', async () => {
    const { post, stored } = await ingest({ auth: { bearerTokens: [TOKEN] } });
    const wrong: Array<Record<string, string>> = [
      {},
      { authorization: '' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer ' },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN.toUpperCase()}` },
      { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` },
      { authorization: `Token ${TOKEN}` },
      { authorization: TOKEN },
      { authorization: `Bearer  ${TOKEN} extra` },
      { authorization: `Bearer ${TOKEN.slice(1)}` },
      { 'x-api-key': TOKEN },
    ];
    const statuses = [];
    for (const headers of wrong) statuses.push((await post(headers, '{"value":1}')).status);
    record('bearer: wrong tokens', statuses, (s) => s === 401);
    expect(statuses).toEqual(wrong.map(() => 401));
    expect(await stored()).toBe(0);
    expect((await post({ authorization: `Bearer ${TOKEN}` }, '{"value":1}')).status).toBe(200);
  });

  it('hmac: forged, tampered, stale and replayed signatures are refused, nothing stored', async () => {
    const { post, stored } = await ingest({ auth: { hmac: { secret: SECRET, toleranceSeconds: 300 } } });
    const now = Math.floor(Date.now() / 1000);
    const body = '{"value":"pay 10"}';
    const signed = (ts: number, b = body, secret = SECRET) => ({
      'x-signature-timestamp': String(ts),
      'x-signature': signPayload(secret, String(ts), b),
    });
    const attempts: Array<{ headers: Record<string, string>; body: string; expect: number }> = [
      { headers: {}, body, expect: 401 },
      { headers: { 'x-signature-timestamp': String(now) }, body, expect: 401 },
      { headers: { ...signed(now), 'x-signature-timestamp': String(now + 1) }, body, expect: 401 },
      { headers: signed(now), body: '{"value":"pay 99"}', expect: 401 },
      { headers: signed(now, body, `${SECRET}x`), body, expect: 401 },
      { headers: signed(now - 400), body, expect: 401 },
      { headers: signed(now + 400), body, expect: 401 },
      { headers: signed(now - 86_400 * 365), body, expect: 401 },
      {
        headers: { ...signed(now), 'x-signature': signed(now)['x-signature'].replace('sha256=', 'sha1=') },
        body,
        expect: 401,
      },
      { headers: { ...signed(now), 'x-signature': 'sha256=' }, body, expect: 401 },
      { headers: { ...signed(now), 'x-signature-timestamp': 'soon' }, body, expect: 401 },
    ];
    const statuses = [];
    for (const a of attempts) statuses.push((await post(a.headers, a.body)).status);
    expect(await stored(), JSON.stringify(statuses)).toBe(0);
    const valid = signed(now);
    const first = await post(valid, body);
    const replays = [];
    for (let i = 0; i < 4; i++) replays.push((await post(valid, body)).status);
    // The same signature in capitals is the same signature.
    replays.push((await post({ ...valid, 'x-signature': valid['x-signature'].toUpperCase() }, body)).status);
    record('hmac: forged and stale', statuses, (s) => s === 401);
    record('hmac: replays', replays, (s) => s === 409);
    expect(statuses.map((s, i) => [i, s])).toEqual(attempts.map((a, i) => [i, a.expect]));
    expect(first.status).toBe(200);
    expect(replays).toEqual([409, 409, 409, 409, 409]);
    expect(await stored()).toBe(1);
  });

  it('slow clients: 70 stalled bodies leave every valid sender served', async () => {
    const { url, post, stored } = await ingest({ bodyTimeoutMs: 120_000 });
    const { port } = new URL(url);
    const stalled = await Promise.all(
      Array.from(
        { length: 70 },
        (_, i) =>
          new Promise<string>((resolve, reject) => {
            const socket = connect({ host: '127.0.0.1', port: Number(port), localAddress: `127.0.2.${i + 1}` }, () =>
              socket.write(
                'POST /in HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\nexpect: 100-continue\r\n\r\n',
              ),
            );
            sockets.push(socket);
            socket.once('data', (chunk) => resolve(chunk.toString('latin1').split('\r\n', 1)[0]));
            socket.once('error', reject);
          }),
      ),
    );
    expect(stalled.every((line) => line === 'HTTP/1.1 100 Continue')).toBe(true);
    const statuses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => post({}, `{"value":${i}}`).then((r) => r.status)),
    );
    record('slow clients: valid sends during 70 stalled bodies', statuses, (s) => s === 200);
    expect(statuses).toEqual(Array(50).fill(200));
    expect(await stored()).toBe(50);
  });
});
