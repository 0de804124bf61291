// The FTP connection keys shared by the ftp source and sink: where the server is, who logs in, TLS, timeouts
// and the pool size. Folders are paths on the server (for a user locked in their home folder, / is that home).
import { MAX_TIMER_MS, secret, z } from '../../core/plugin.js';

export const ftpTlsConfig = z
  .object({
    mode: z
      .enum(['none', 'explicit', 'implicit'])
      .default('none')
      .describe(
        'none: plain FTP (passwords and data travel in clear); explicit: FTPS via AUTH TLS on the normal port ' +
          '(usually 21); implicit: TLS from the first byte (usually port 990).',
      ),
    caFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        "PEM file of the CA (or the server's own self-signed certificate) to trust; relative to the pipeline file.",
      ),
    fingerprint: z
      .string()
      .regex(/^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/, 'a SHA-256 fingerprint: 32 hex pairs joined by colons')
      .optional()
      .describe(
        "Pin the server's certificate by its SHA-256 fingerprint (AB:CD:…, as `openssl x509 -fingerprint " +
          '-sha256` prints it): trusted when it matches, whoever signed it; checked before logging in.',
      ),
    verify: z
      .boolean()
      .default(true)
      .describe(
        "Check the server's certificate. false accepts any certificate (anyone on the path can read the " +
          'password); Sluice warns at every start. Prefer caFile or fingerprint.',
      ),
    servername: z.string().min(1).optional().describe('Name to check the certificate against, when not `host`.'),
  })
  .default({ mode: 'none', verify: true })
  .describe('FTPS: TLS for the control and data connections.');

export function ftpConnectionShape() {
  return {
    host: z.string().min(1).describe('FTP server name or address.'),
    port: z.number().int().min(1).max(65535).optional().describe('Port; default 21, or 990 with tls.mode: implicit.'),
    user: z.string().min(1).default('anonymous').describe('User to log in as.'),
    password: secret(z.string().default('')).describe('Password of `user`.'),
    tls: ftpTlsConfig,
    timeoutMs: z
      .number()
      .int()
      .max(MAX_TIMER_MS)
      .positive()
      .default(30_000)
      .describe('Longest wait for the server on the control or a data connection, in milliseconds.'),
    maxConnections: z
      .number()
      .int()
      .positive()
      .max(32)
      .default(2)
      .describe('Most connections open to the server at once (one FTP connection runs one command at a time).'),
    connectRetries: z
      .number()
      .int()
      .nonnegative()
      .default(3)
      .describe(
        'Connection attempts after the first, with exponential backoff, before the call fails (and is retried later).',
      ),
  };
}

export type FtpConnectionConfig = z.output<z.ZodObject<ReturnType<typeof ftpConnectionShape>>>;
