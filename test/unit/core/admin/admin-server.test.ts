import { afterEach, describe, expect, it } from 'vitest';
import type { AdminRoute } from '../../../../core/admin/admin-route.js';
import { type AdminServer, MAX_ADMIN_BODY, startAdminServer } from '../../../../core/admin/admin-server.js';

const servers: AdminServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const echo: AdminRoute = {
  method: 'POST',
  path: '/api/pipelines/:pipeline/pause',
  summary: 'echo',
  handle: async (req) => ({ status: 202, body: { params: req.params, body: req.body, q: req.query.get('q') } }),
};
const list: AdminRoute = {
  method: 'GET',
  path: '/api/pipelines',
  summary: 'list',
  handle: async () => ({ status: 200, body: { pipelines: [] } }),
};
const stream: AdminRoute = {
  method: 'GET',
  path: '/api/stream',
  summary: 'stream',
  handle: async ({ raw }) => {
    raw.res.writeHead(200, { 'content-type': 'text/event-stream' });
    raw.res.end('data: 1\n\n');
    return undefined;
  },
};
const broken: AdminRoute = {
  method: 'GET',
  path: '/api/broken',
  summary: 'throws',
  handle: async () => {
    throw Object.assign(new Error('no such pipeline "x"'), { kind: 'config', code: 'E_NO_PIPELINE' });
  },
};
const health: AdminRoute = {
  method: 'GET',
  path: '/healthz',
  summary: 'alive',
  handle: async () => ({ status: 200, body: { status: 'alive' } }),
};

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  return ((await res.json()) as { error: { code: string; message: string } }).error;
}

async function start(token?: string) {
  const server = await startAdminServer({
    host: '127.0.0.1',
    port: 0,
    token,
    routes: [echo, list, stream, broken],
    openRoutes: [health],
  });
  servers.push(server);
  return `http://127.0.0.1:${server.port}`;
}

describe('admin server', () => {
  it('passes path params (decoded), the query and the JSON body to the route', async () => {
    const base = await start();
    const res = await fetch(`${base}/api/pipelines/gps%20in/pause?q=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'maintenance' }),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ params: { pipeline: 'gps in' }, body: { reason: 'maintenance' }, q: '1' });
  });

  it('answers 404 for an unknown path and 405 with Allow for a known path with another method', async () => {
    const base = await start();
    const missing = await fetch(`${base}/api/nothing`);
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).code).toBe('E_NOT_FOUND');
    const wrong = await fetch(`${base}/api/pipelines`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect((await errorOf(wrong)).code).toBe('E_METHOD');
  });

  it('refuses a body that is not JSON or too large', async () => {
    const base = await start();
    const post = (body: string) =>
      fetch(`${base}/api/pipelines/p/pause`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const bad = await post('{nope');
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe('E_BODY');
    const big = await post(JSON.stringify({ pad: 'x'.repeat(MAX_ADMIN_BODY) }));
    expect(big.status).toBe(413);
  });

  it('turns a thrown error into a JSON error with its code, 400 for a config error', async () => {
    const base = await start();
    const res = await fetch(`${base}/api/broken`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'E_NO_PIPELINE', message: 'no such pipeline "x"' } });
  });

  it('lets a route write its own response (a stream)', async () => {
    const base = await start();
    const res = await fetch(`${base}/api/stream`);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(await res.text()).toBe('data: 1\n\n');
  });

  it('asks for the bearer token on API routes but not on open routes', async () => {
    const base = await start('s3cret');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const without = await fetch(`${base}/api/pipelines`);
    expect(without.status).toBe(401);
    expect((await errorOf(without)).code).toBe('E_ADMIN_TOKEN');
    const wrong = await fetch(`${base}/api/pipelines`, { headers: { authorization: 'Bearer s3cre' } });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${base}/api/pipelines`, { headers: { authorization: 'Bearer s3cret' } });
    expect(right.status).toBe(200);
  });
});
