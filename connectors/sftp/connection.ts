// What the sftp and scp connectors share: the SSH connection fields (so one pipeline moves between
// protocols by its connection), and turning them into resolved settings: key text read from files, the
// host-key policy built, secrets kept out of every message (`where` names user, host and port only).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import { MAX_TIMER_MS, secret, z } from '../../core/plugin.js';
import { HostKeyPolicy, normaliseFingerprint } from './host-key.js';

export const sshConnectionFields = {
  host: z.string().min(1).describe('Host name or address of the SSH server.'),
  port: z.number().int().min(1).max(65535).default(22).describe('TCP port of the SSH server.'),
  user: z.string().min(1).describe('User to log in as.'),
  password: secret(z.string().optional().describe('Password for password authentication.')),
  privateKey: secret(
    z
      .string()
      .optional()
      .describe(
        'Private key for public-key authentication, as OpenSSH/PEM text or a file path (relative to the pipeline file).',
      ),
  ),
  passphrase: secret(z.string().optional().describe('Passphrase of an encrypted `privateKey`.')),
  agent: z
    .string()
    .optional()
    .describe('Path of an ssh-agent socket to authenticate with, usually "${SSH_AUTH_SOCK}".'),
  hostKeys: z
    .array(
      z.string().refine((v) => normaliseFingerprint(v) !== undefined, {
        message: 'a host key fingerprint looks like SHA256:<43 base64 characters>, as `ssh-keygen -lf` prints it',
      }),
    )
    .optional()
    .describe('Trusted host-key fingerprints ("SHA256:…", as `ssh-keygen -lf` prints them). Use this or `knownHosts`.'),
  knownHosts: z
    .string()
    .optional()
    .describe(
      "OpenSSH known_hosts file listing the server's key (relative to the pipeline file). Default, when neither " +
        'this nor `hostKeys` is given: ~/.ssh/known_hosts.',
    ),
  acceptAnyHostKey: z
    .boolean()
    .default(false)
    .describe(
      'Trust whatever key the server presents. This disables protection against a man in the middle and is ' +
        'logged as a warning on every connection: for throwaway test servers only.',
    ),
  connectTimeoutMs: z
    .number()
    .int()
    .max(MAX_TIMER_MS)
    .positive()
    .default(10_000)
    .describe('Longest wait for the TCP connection, the SSH handshake and the login, ms.'),
  timeoutMs: z
    .number()
    .int()
    .max(MAX_TIMER_MS)
    .positive()
    .default(30_000)
    .describe(
      'Longest wait for one operation (a listing, a rename) or longest silence during a transfer, ms. The ' +
        'connection is dropped and the operation fails as retryable when it passes.',
    ),
  keepaliveMs: z
    .number()
    .int()
    .max(MAX_TIMER_MS)
    .nonnegative()
    .default(10_000)
    .describe('Interval of SSH keepalive messages, ms (0: none). Three unanswered ones drop the connection.'),
  maxConnections: z
    .number()
    .int()
    .min(1)
    .max(16)
    .default(2)
    .describe("Most SSH connections open to the server at once, shared by this connector's operations."),
};

export const sshConnectionObject = z.object(sshConnectionFields);
export type SshConnectionConfig = z.output<typeof sshConnectionObject>;

/** Checks that some credential is given; for use in a connector schema's superRefine. */
export function credentialProblem(
  c: Pick<SshConnectionConfig, 'password' | 'privateKey' | 'agent'>,
): string | undefined {
  if (c.password === undefined && c.privateKey === undefined && c.agent === undefined) {
    return 'give a credential: `password`, `privateKey` (with `passphrase` when it is encrypted) or `agent`';
  }
  return undefined;
}

export interface SshSettings {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly privateKey?: string;
  readonly passphrase?: string;
  readonly agent?: string;
  /** Undefined only with acceptAnyHostKey. */
  readonly hostKeys?: HostKeyPolicy;
  /** Where the trusted keys came from, for messages: `hostKeys` or the known_hosts path. */
  readonly hostKeySource: string;
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
  readonly keepaliveMs: number;
  readonly maxConnections: number;
  /** Names the component and server in messages: `sftp source "p" (sftpuser@host:22)`. Never a secret. */
  readonly where: string;
}

function looksLikeKeyText(value: string): boolean {
  return value.includes('-----BEGIN') || value.startsWith('ssh-') || value.includes('PuTTY-User-Key-File');
}

function readConfigFile(path: string, key: string, where: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${where}: cannot read ${key} file ${path}: ${(err as Error).message}`, {
      code: 'E_CONFIG',
    });
  }
}

/** Resolves the connection fields against the pipeline's folder: reads key and known_hosts files. */
export function resolveSshSettings(config: SshConnectionConfig, baseDir: string, where: string): SshSettings {
  const fullWhere = `${where} (${config.user}@${config.host}:${config.port})`;
  const inBase = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  let privateKey: string | undefined;
  if (config.privateKey !== undefined) {
    privateKey = looksLikeKeyText(config.privateKey)
      ? config.privateKey
      : readConfigFile(inBase(config.privateKey), 'privateKey', fullWhere);
  }
  let hostKeys: HostKeyPolicy | undefined;
  let hostKeySource = 'hostKeys';
  if (!config.acceptAnyHostKey) {
    const knownHostsPath =
      config.knownHosts !== undefined
        ? inBase(config.knownHosts)
        : config.hostKeys === undefined
          ? join(homedir(), '.ssh', 'known_hosts')
          : undefined;
    let knownHostsText: string | undefined;
    if (knownHostsPath !== undefined) {
      hostKeySource = `knownHosts ${knownHostsPath}`;
      knownHostsText = readConfigFile(knownHostsPath, 'knownHosts', fullWhere);
    }
    hostKeys = new HostKeyPolicy(config.hostKeys ?? [], knownHostsText, config.host, config.port);
  }
  return {
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    privateKey,
    passphrase: config.passphrase,
    agent: config.agent,
    hostKeys,
    hostKeySource,
    connectTimeoutMs: config.connectTimeoutMs,
    timeoutMs: config.timeoutMs,
    keepaliveMs: config.keepaliveMs,
    maxConnections: config.maxConnections,
    where: fullWhere,
  };
}
