// The web console on the admin port (`--console`): its static files, open to anyone who reaches the port (they
// hold no secret; every API call the page makes carries the token), and `/` sending a browser to it.
import type { ServerResponse } from 'node:http';
import type { AdminRoute } from '../admin-route.js';
import type { ConsoleFile } from './console-files.js';

export function consoleFileRoutes(files: ReadonlyMap<string, ConsoleFile>): AdminRoute[] {
  const index = files.get('index.html')!;
  return [
    {
      method: 'GET',
      path: '/',
      summary: 'With --console: redirects to the web console.',
      handle: async ({ raw }) => {
        raw.res.writeHead(302, { location: '/console/' });
        raw.res.end();
        return undefined;
      },
    },
    {
      method: 'GET',
      path: '/console',
      summary: 'With --console: the web console (its page and bundled files; the API calls it makes need the token).',
      handle: async ({ raw }) => send(raw.res, index),
    },
    {
      method: 'GET',
      path: '/console/:file',
      summary: "With --console: one of the web console's files.",
      handle: async ({ params, raw }) => {
        const file = files.get(params.file);
        // A view's path (a reload of /console/charts, say) gets the page, which routes by itself.
        if (!file) return params.file.includes('.') ? notFound(params.file) : send(raw.res, index);
        return send(raw.res, file);
      },
    },
  ];
}

function send(res: ServerResponse, file: ConsoleFile): undefined {
  res.writeHead(200, {
    'content-type': file.type,
    'content-length': file.body.length,
    'cache-control': file.isImmutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
    // The page runs only its own bundle and talks only to this port.
    'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
    'x-frame-options': 'DENY',
  });
  res.end(file.body);
  return undefined;
}

function notFound(name: string) {
  return { status: 404, body: { error: { code: 'E_NOT_FOUND', message: `the console has no file ${name}` } } };
}
