// A tiny HTTP server that serves route groups the way the admin port mounts them, so a route group is tested over
// real HTTP (streaming included) without the admin server itself. No token check: that is the admin server's.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AdminMethod, AdminRoute } from '../../core/admin/admin-route.js';

export interface RoutesServer {
  url: string;
  close(): Promise<void>;
}

function match(route: AdminRoute, path: string): Record<string, string> | undefined {
  const want = route.path.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(got[i]);
    else if (part !== got[i]) return undefined;
  }
  return params;
}

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

export async function serveRoutes(routes: readonly AdminRoute[]): Promise<RoutesServer> {
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    for (const route of routes) {
      const params = route.method === req.method ? match(route, url.pathname) : undefined;
      if (!params) continue;
      const reply = await route.handle({
        method: req.method as AdminMethod,
        params,
        query: url.searchParams,
        body: await bodyOf(req),
        raw: { req, res },
      });
      if (reply) {
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply.body));
      }
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
