// CORS for the ingest server: off unless origins are listed. A listed origin (or `*`) gets the
// Access-Control-* headers; preflight requests are answered without reaching the event handler.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface CorsOptions {
  allowedOrigins: readonly string[];
  maxAgeSeconds: number;
  /** Request headers a browser may send (auth and signature headers included). */
  allowedHeaders: readonly string[];
  methods: readonly string[];
}

function allowedOrigin(req: IncomingMessage, options: CorsOptions): string | undefined {
  const origin = req.headers.origin;
  if (!origin || options.allowedOrigins.length === 0) return undefined;
  if (options.allowedOrigins.includes('*')) return '*';
  return options.allowedOrigins.includes(origin) ? origin : undefined;
}

/** Adds the CORS headers of a normal request when its origin is allowed. */
export function applyCors(req: IncomingMessage, res: ServerResponse, options: CorsOptions): void {
  const origin = allowedOrigin(req, options);
  if (!origin) return;
  res.setHeader('access-control-allow-origin', origin);
  if (origin !== '*') res.setHeader('vary', 'Origin');
}

/** Answers a preflight (OPTIONS) request; true when it did. */
export function answerPreflight(req: IncomingMessage, res: ServerResponse, options: CorsOptions): boolean {
  if (req.method !== 'OPTIONS') return false;
  const origin = allowedOrigin(req, options);
  if (!origin) return false;
  applyCors(req, res, options);
  res.writeHead(204, {
    'access-control-allow-methods': options.methods.join(', '),
    'access-control-allow-headers': options.allowedHeaders.join(', '),
    'access-control-max-age': String(options.maxAgeSeconds),
  });
  res.end();
  return true;
}
