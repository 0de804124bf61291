// What the http connectors' outgoing clients share (the sink and the poll source): TLS, credentials and
// timeouts as config fields, and the undici Agent built from them. Certificate verification is always on:
// there is deliberately no switch to turn it off; a private CA is given with `tls.ca` instead.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { Agent, Pool } from 'undici';
import { ConfigError } from '../../core/errors.js';
import { MAX_TIMER_MS, secret, z } from '../../core/plugin.js';

export const clientTlsSchema = z
  .object({
    ca: z
      .string()
      .optional()
      .describe(
        'CA certificate(s) to trust, as PEM text or a file path (relative to the pipeline file). Absent: the system CAs.',
      ),
    cert: z.string().optional().describe('Client certificate for mutual TLS, as PEM text or a file path. Needs `key`.'),
    key: secret(z.string().optional().describe('Private key of the client certificate, as PEM text or a file path.')),
    passphrase: secret(z.string().optional().describe('Passphrase of an encrypted `key`.')),
  })
  .refine((t) => (t.cert === undefined) === (t.key === undefined), {
    message: 'tls.cert and tls.key go together: give both for mutual TLS, or neither',
  })
  .prefault({})
  .describe('TLS for https URLs. Server certificates are always verified.');

export type ClientTls = z.output<typeof clientTlsSchema>;

export const clientAuthSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('none').describe('No credentials.') }),
    z.object({
      type: z.literal('basic').describe('HTTP basic authentication.'),
      username: z.string().describe('User name.'),
      password: secret(z.string().describe('Password.')),
    }),
    z.object({
      type: z.literal('bearer').describe('A fixed bearer token in `Authorization: Bearer …`.'),
      token: secret(z.string().min(1).describe('The token.')),
    }),
    z.object({
      type: z.literal('oauth2').describe('OAuth 2.0 client credentials grant; the token is cached and refreshed.'),
      tokenUrl: z.url().describe('Token endpoint URL.'),
      clientId: z.string().min(1).describe('Client id.'),
      clientSecret: secret(z.string().min(1).describe('Client secret.')),
      scope: z.string().optional().describe('Space-separated scopes to ask for.'),
      audience: z.string().optional().describe('`audience` parameter, for providers that want one.'),
      clientAuth: z
        .enum(['basic', 'body'])
        .default('basic')
        .describe('How the client id and secret reach the token endpoint: basic auth header, or form fields.'),
    }),
  ])
  .prefault({ type: 'none' })
  .describe('Credentials sent with every request.');

export type ClientAuth = z.output<typeof clientAuthSchema>;

export const timeoutsSchema = z
  .object({
    connectMs: z
      .number()
      .int()
      .max(MAX_TIMER_MS)
      .positive()
      .default(10_000)
      .describe('Longest wait for a TCP + TLS connection, ms.'),
    headersMs: z
      .number()
      .int()
      .max(MAX_TIMER_MS)
      .positive()
      .default(30_000)
      .describe('Longest wait for the response headers once the request is sent, ms.'),
    bodyMs: z
      .number()
      .int()
      .max(MAX_TIMER_MS)
      .positive()
      .default(30_000)
      .describe('Longest silence while the response body streams, ms.'),
    totalMs: z
      .number()
      .int()
      .max(MAX_TIMER_MS)
      .positive()
      .default(120_000)
      .describe('Deadline for the whole request, ms: a server that trickles bytes is cut off here.'),
  })
  .prefault({})
  .describe('Timeouts; a stuck server never holds a worker longer than these.');

export type Timeouts = z.output<typeof timeoutsSchema>;

/** Reads a PEM value that is either inline text or a path relative to the pipeline's folder. */
export function loadPem(value: string, field: string, baseDir: string): string {
  if (value.includes('-----BEGIN')) return value;
  const path = isAbsolute(value) ? value : resolve(baseDir, value);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `${field}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}); give PEM text or a readable file path`,
      { cause: err },
    );
  }
}

export interface AgentOptions {
  tls: ClientTls;
  timeouts: Timeouts;
  /** Connections kept per origin. */
  maxConnections: number;
  baseDir: string;
}

/** An Agent that keeps one keep-alive Pool per origin, with verified TLS and the configured timeouts. */
export function createAgent(options: AgentOptions): Agent {
  const { tls, timeouts } = options;
  return new Agent({
    factory: (origin, opts) => new Pool(origin, opts),
    connections: options.maxConnections,
    pipelining: 1,
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.bodyMs,
    connect: {
      timeout: timeouts.connectMs,
      rejectUnauthorized: true,
      ...(tls.ca ? { ca: loadPem(tls.ca, 'tls.ca', options.baseDir) } : {}),
      ...(tls.cert ? { cert: loadPem(tls.cert, 'tls.cert', options.baseDir) } : {}),
      ...(tls.key ? { key: loadPem(tls.key, 'tls.key', options.baseDir) } : {}),
      ...(tls.passphrase ? { passphrase: tls.passphrase } : {}),
    },
  });
}

/** A URL as it may appear in messages and logs: origin and path, never credentials or the query string. */
export function describeUrl(url: string | URL): string {
  try {
    const u = typeof url === 'string' ? new URL(url) : url;
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
