// Canary secrets: a receiver that echoes every request header back in its error answers is the classic leak
// (the answer's excerpt goes into logs, errors and dead-letter details). No secret field of the http sink may
// show up in any of them, in plain text or base64.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import httpSink from '../../connectors/http/sink.js';
import { createEvent } from '../../core/event.js';
import { recordFigure } from '../harness/figures.js';
import { createTestContext } from '../harness/http-context.js';
import { closeServer } from '../harness/loopback.js';

const CANARY = 'canary-7Qx9Zt2Lw5Vb8Nm3';
const variants: Array<{ name: string; config: Record<string, unknown>; canaries: string[] }> = [
  {
    name: 'headers',
    config: { headers: { authorization: `Bearer ${CANARY}-h`, 'x-api-key': `${CANARY}-k` } },
    canaries: [`${CANARY}-h`, `${CANARY}-k`],
  },
  { name: 'auth.bearer', config: { auth: { type: 'bearer', token: `${CANARY}-b` } }, canaries: [`${CANARY}-b`] },
  {
    name: 'auth.basic',
    config: { auth: { type: 'basic', username: 'u', password: `${CANARY}-p` } },
    canaries: [`${CANARY}-p`, Buffer.from(`u:${CANARY}-p`).toString('base64')],
  },
];
const answers = [400, 401, 403, 404, 409, 422, 429, 500, 502, 503];

let server: Server;
let base: string;
beforeAll(async () => {
  // Answers the status named in the path, echoing the request headers in the body.
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = Number(req.url?.split('/')[1] ?? 500);
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '0' });
      res.end(JSON.stringify({ error: 'no', youSent: req.headers }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => closeServer(server));

describe('canary secrets in the http sink', () => {
  it('never appear in errors, dead-letter details or logs, whatever the receiver echoes', async () => {
    const leaks: string[] = [];
    let tries = 0;
    for (const v of variants) {
      for (const status of answers) {
        tries++;
        const ctx = createTestContext({ pipeline: 'canary' });
        const sink = await httpSink.create(
          httpSink.config.parse({ url: `${base}/${status}`, retry: undefined, ...v.config }),
          ctx,
        );
        const seen: string[] = [];
        try {
          const result = await sink.write([createEvent({ value: { n: 1 } })]);
          for (const r of result?.rejected ?? []) seen.push(r.error.message, JSON.stringify(r.error));
        } catch (err) {
          seen.push(String(err), JSON.stringify(err), JSON.stringify((err as { details?: unknown }).details ?? null));
        } finally {
          await sink.close?.();
        }
        for (const log of ctx.logs) seen.push(JSON.stringify(log.obj), String(log.msg));
        const text = seen.join('\n');
        for (const c of v.canaries) if (text.includes(c)) leaks.push(`${v.name} answered ${status}: ${c}`);
      }
    }
    recordFigure({
      suite: 'security',
      case: 'canary secrets: http sink',
      tries,
      held: tries - new Set(leaks.map((l) => l.split(':')[0])).size,
    });
    expect(leaks).toEqual([]);
  });
});
