// A small HTTP server with one route, POST /query, for a worker or an embedded `sluice run` to answer queries
// over what its storage holds. The handler lives in query-http.ts so that an admin port can mount it instead.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Storage } from '../storage/storage.js';
import type { QueryOptions } from './query-engine.js';
import { handleQueryRequest } from './query-http.js';

export interface QueryServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startQueryServer(o: {
  host: string;
  port: number;
  storage: Storage;
  options?: QueryOptions;
}): Promise<QueryServer> {
  const server: Server = createServer((req, res) => {
    if (new URL(req.url ?? '/', 'http://query').pathname !== '/query') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'E_NOT_FOUND', message: 'the query endpoint is POST /query' } }));
      return;
    }
    handleQueryRequest(req, res, o.storage, o.options).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
