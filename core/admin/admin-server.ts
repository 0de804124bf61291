// The admin port's HTTP server: it mounts lists of routes and owns everything they share: matching paths with
// `:params`, reading a JSON body up to a limit, the bearer token, and JSON errors `{ error: { code, message } }`.
// Open routes (health, metrics) answer without the token; every other route needs it when one is set.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toSluiceError } from '../errors.js';
import type { AdminMethod, AdminReply, AdminRoute } from './admin-route.js';

/** Largest JSON body accepted, bytes: admin requests are small commands, never data. */
export const MAX_ADMIN_BODY = 1024 * 1024;

export interface AdminServerOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  /** Routes that need the token (when one is set). */
  routes: readonly AdminRoute[];
  /** Routes that answer anyone who can reach the port: probes and scrapers. */
  openRoutes?: readonly AdminRoute[];
  /** Bearer token; absent: no token is asked for (the port must then be loopback). */
  token?: string;
  /** Told about a route that threw, with the error (already answered 500). */
  onError?(route: AdminRoute, error: unknown): void;
  /** Removes secrets from an error message before it is sent (a storage error may quote a URL). */
  redact?(text: string): string;
}

export interface AdminServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

interface Mounted {
  route: AdminRoute;
  isOpen: boolean;
  segments: string[];
}

const METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'DELETE'];

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const mounted: Mounted[] = [
    ...(options.openRoutes ?? []).map((route) => ({ route, isOpen: true, segments: split(route.path) })),
    ...options.routes.map((route) => ({ route, isOpen: false, segments: split(route.path) })),
  ];
  const tokenDigest = options.token === undefined ? undefined : digest(options.token);
  const server: Server = createServer((req, res) => {
    serve(req, res, mounted, tokenDigest, options).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    host: options.host,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  mounted: Mounted[],
  tokenDigest: Buffer | undefined,
  { onError, redact = (t: string) => t }: AdminServerOptions,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://admin');
  const segments = split(url.pathname);
  const matches = mounted.flatMap((m) => {
    const params = matchPath(m.segments, segments);
    return params ? [{ ...m, params }] : [];
  });
  if (matches.length === 0) return fail(res, 404, 'E_NOT_FOUND', `no admin route ${url.pathname}; see GET /api`);
  const match = matches.find((m) => m.route.method === req.method);
  if (!match) {
    const allowed = [...new Set(matches.map((m) => m.route.method))].join(', ');
    res.setHeader('allow', allowed);
    return fail(res, 405, 'E_METHOD', `${url.pathname} takes ${allowed}, not ${req.method}`);
  }
  if (!match.isOpen && tokenDigest && !hasToken(req, tokenDigest)) {
    res.setHeader('www-authenticate', 'Bearer');
    return fail(res, 401, 'E_ADMIN_TOKEN', 'send the admin token as `Authorization: Bearer <token>`');
  }
  const body = await readJson(req);
  if (!body.ok) return fail(res, body.status, body.code, body.message);
  let reply: AdminReply | undefined;
  try {
    reply = await match.route.handle({
      method: req.method as AdminMethod,
      params: match.params,
      query: url.searchParams,
      body: body.value,
      raw: { req, res },
    });
  } catch (err) {
    onError?.(match.route, err);
    if (res.headersSent) return void res.destroy();
    const e = toSluiceError(err);
    const status = e.kind === 'config' || e.kind === 'record' ? 400 : e.kind === 'retryable' ? 503 : 500;
    return fail(res, status, e.code, redact(e.message));
  }
  if (reply === undefined || res.headersSent) return;
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
  });
  res.end(text);
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/** The route's params when `path` matches its segments (`:name` matches any one segment). */
export function matchPath(route: readonly string[], path: readonly string[]): Record<string, string> | undefined {
  if (route.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of route.entries()) {
    if (segment.startsWith(':')) {
      try {
        params[segment.slice(1)] = decodeURIComponent(path[i]);
      } catch {
        return undefined;
      }
    } else if (segment !== path[i]) return undefined;
  }
  return params;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares digests of equal length in constant time, so the answer's timing says nothing about the token. */
function hasToken(req: IncomingMessage, expected: Buffer): boolean {
  const header = req.headers.authorization ?? '';
  const given = /^Bearer (.+)$/i.exec(header)?.[1] ?? '';
  return timingSafeEqual(digest(given), expected);
}

type JsonBody = { ok: true; value: unknown } | { ok: false; status: number; code: string; message: string };

async function readJson(req: IncomingMessage): Promise<JsonBody> {
  if (!METHODS.includes(req.method ?? '') || req.method === 'GET') return { ok: true, value: undefined };
  // The query route reads its own body (SQL as text): leave the stream to it unless the body is JSON.
  if (!(req.headers['content-type'] ?? '').includes('json')) return { ok: true, value: undefined };
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > MAX_ADMIN_BODY) {
      return { ok: false, status: 413, code: 'E_TOO_LARGE', message: `the body is over ${MAX_ADMIN_BODY} bytes` };
    }
    parts.push(part);
  }
  const text = Buffer.concat(parts).toString('utf8');
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, status: 400, code: 'E_BODY', message: 'the body is not valid JSON' };
  }
}

function fail(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code, message } }));
}
