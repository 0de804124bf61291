// The process-wide registry of ingest servers: one listening server per host:port, shared by every http
// source that names it, each source owning one path. A source is one pipeline; two pipelines on one port
// with different paths share a server. Each server also answers /healthz and /readyz.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ConfigError, FatalError } from '../../core/errors.js';

export interface Route {
  readonly path: string;
  /** Handles a request for this path; `expectsContinue` when the client waits for `100 Continue`. */
  handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void;
  /** Ready for traffic (for /readyz). */
  isReady(): boolean;
}

export interface ServerSpec {
  host: string;
  /** 0 picks a free port; such a server is never shared. */
  port: number;
  /** PEM text of the certificate and key: the server speaks HTTPS. */
  tls?: { cert: string; key: string; passphrase?: string };
}

export interface AttachedRoute {
  readonly host: string;
  readonly port: number;
  /** The route's URL, as a client on this host would reach it. */
  readonly url: string;
  detach(): Promise<void>;
}

const HEALTH_PATHS = new Set(['/healthz', '/readyz']);
// Once the last route is gone, connections still open get this long before they are cut.
const CLOSE_GRACE_MS = 2_000;

export function normalizePath(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') : path;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

class SharedServer {
  readonly routes = new Map<string, Route>();
  readonly server: Server;
  readonly listening: Promise<AddressInfo>;

  constructor(
    readonly spec: ServerSpec,
    readonly tlsId: string,
  ) {
    const onRequest = (req: IncomingMessage, res: ServerResponse) => this.dispatch(req, res, false);
    this.server = spec.tls
      ? (createTlsServer(
          { cert: spec.tls.cert, key: spec.tls.key, passphrase: spec.tls.passphrase },
          onRequest,
        ) as unknown as Server)
      : createServer(onRequest);
    // With a listener here Node leaves `100 Continue` to us: a route can refuse an oversized or unauthorised
    // upload before the client sends the body.
    this.server.on('checkContinue', (req, res) => this.dispatch(req, res, true));
    this.listening = new Promise<AddressInfo>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => reject(this.bindError(err));
      this.server.once('error', onError);
      this.server.listen(spec.port, spec.host, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  private bindError(err: NodeJS.ErrnoException): FatalError {
    const where = `${this.spec.host}:${this.spec.port}`;
    const fix =
      err.code === 'EADDRINUSE'
        ? 'another process (or pipeline with another host) holds it. A second worker on this host? Start it with `sluice worker --no-ingest` (it still delivers), or give each worker its own port, e.g. port: ${PORT}'
        : err.code === 'EACCES'
          ? 'ports below 1024 need privileges: pick a port above 1024'
          : err.code === 'EADDRNOTAVAIL'
            ? 'this machine has no such address: check host'
            : 'check host and port';
    return new FatalError(`http source cannot listen on ${where} (${err.code ?? err.message}); ${fix}`, {
      code: 'E_HTTP_LISTEN',
      cause: err,
    });
  }

  private dispatch(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    let path: string;
    try {
      path = normalizePath(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      json(res, 400, { error: 'the request target is not a valid path' });
      return;
    }
    const route = this.routes.get(path);
    if (route) {
      route.handle(req, res, expectsContinue);
      return;
    }
    if (expectsContinue) res.writeContinue();
    if (path === '/healthz') json(res, 200, { status: 'ok' });
    else if (path === '/readyz') {
      const routes = Object.fromEntries([...this.routes].map(([p, r]) => [p, r.isReady() ? 'ready' : 'not ready']));
      const isReady = Object.values(routes).every((s) => s === 'ready');
      json(res, isReady ? 200 : 503, { status: isReady ? 'ready' : 'not ready', routes });
    } else json(res, 404, { error: `nothing listens on ${path}` });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), CLOSE_GRACE_MS);
    await closed;
    clearTimeout(timer);
  }
}

const servers = new Map<string, SharedServer>();

function tlsIdentity(tls: ServerSpec['tls']): string {
  if (!tls) return 'plain';
  return createHash('sha256')
    .update(tls.cert)
    .update('\0')
    .update(tls.key)
    .update('\0')
    .update(tls.passphrase ?? '')
    .digest('hex');
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Serves `route` on the server for `spec`, starting it when it is the first route there. Refuses a path that
 * is taken or reserved, and a TLS setting that differs from the one the server was started with.
 */
export async function attachRoute(spec: ServerSpec, route: Route): Promise<AttachedRoute> {
  const path = normalizePath(route.path);
  if (HEALTH_PATHS.has(path)) throw new ConfigError(`path ${path} is reserved for health checks: pick another path`);
  const id = `${spec.host}:${spec.port}`;
  const tlsId = tlsIdentity(spec.tls);
  let shared = spec.port === 0 ? undefined : servers.get(id);
  if (shared) {
    if (shared.tlsId !== tlsId) {
      throw new ConfigError(
        `port ${spec.port} on ${spec.host} is shared by http sources with different tls settings: give them the same tls, or different ports`,
      );
    }
    if (shared.routes.has(path)) {
      throw new ConfigError(`path ${path} on ${id} is already served by another http source: pick another path`);
    }
  } else {
    shared = new SharedServer(spec, tlsId);
    if (spec.port !== 0) servers.set(id, shared);
  }
  shared.routes.set(path, route);
  const server = shared;
  let address: AddressInfo;
  try {
    address = await server.listening;
  } catch (err) {
    server.routes.delete(path);
    if (servers.get(id) === server) servers.delete(id);
    throw err;
  }
  let isDetached = false;
  return {
    host: address.address,
    port: address.port,
    url: `${spec.tls ? 'https' : 'http'}://${displayHost(spec.host)}:${address.port}${path}`,
    async detach() {
      if (isDetached) return;
      isDetached = true;
      server.routes.delete(path);
      if (server.routes.size > 0) return;
      if (servers.get(id) === server) servers.delete(id);
      await server.close();
    },
  };
}
