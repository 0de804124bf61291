// A small pool of logged-in FTP connections: one FTP connection runs one command at a time, so parallel calls
// each take one, up to `maxConnections`, and wait for one otherwise. Connecting retries with exponential
// backoff and jitter; a connection that failed is dropped, never handed out again.
import type { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { Client } from 'basic-ftp';
import { FatalError } from '../../core/errors.js';
import type { Logger } from '../../core/plugin.js';
import { FS_ERROR } from '../filesystem/file-system.js';
import type { FtpConnectionConfig } from './connection.js';
import { slabSocket } from './data-socket.js';
import { ftpError } from './ftp-error.js';

export interface FtpPoolOptions {
  connection: FtpConnectionConfig;
  /** The CA file's contents, read once at start. */
  ca?: Buffer;
  logger: Logger;
  /** `ftp 127.0.0.1:2121` for messages. */
  where: string;
}

export class FtpPool {
  private readonly idle: Client[] = [];
  private readonly waiting: Array<(client: Client | undefined) => void> = [];
  private open = 0;
  private isClosed = false;

  constructor(private readonly options: FtpPoolOptions) {}

  /** A logged-in connection for one call; give it back with `release`. */
  async acquire(): Promise<Client> {
    if (this.isClosed) throw this.closedError();
    const ready = this.idle.pop();
    if (ready !== undefined && !ready.closed) return ready;
    if (ready !== undefined) this.open--;
    if (this.open >= this.options.connection.maxConnections) {
      const client = await new Promise<Client | undefined>((resolve) => this.waiting.push(resolve));
      if (client === undefined) return this.acquire();
      return client;
    }
    this.open++;
    try {
      return await this.connect();
    } catch (err) {
      this.open--;
      this.wakeOne(undefined);
      throw err;
    }
  }

  /** Gives a connection back; `isBroken` (a failed or aborted transfer) closes it instead. */
  release(client: Client, isBroken = false): void {
    if (isBroken || client.closed || this.isClosed) {
      client.close();
      this.open--;
      this.wakeOne(undefined);
      return;
    }
    const waiter = this.waiting.shift();
    if (waiter) waiter(client);
    else this.idle.push(client);
  }

  /** Runs `fn` on a pooled connection; a connection that failed in a way that may have broken it is dropped. */
  async use<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.acquire();
    try {
      const result = await fn(client);
      this.release(client);
      return result;
    } catch (err) {
      // A reply error leaves the connection usable; anything else (timeout, reset) may not.
      this.release(client, typeof (err as { code?: unknown }).code !== 'number');
      throw err;
    }
  }

  async close(): Promise<void> {
    this.isClosed = true;
    for (const client of this.idle.splice(0)) client.close();
    for (const waiter of this.waiting.splice(0)) waiter(undefined);
  }

  private wakeOne(client: Client | undefined): void {
    this.waiting.shift()?.(client);
  }

  private closedError(): FatalError {
    return new FatalError(`${this.options.where}: the connection pool is closed`, { code: FS_ERROR.closed });
  }

  private async connect(): Promise<Client> {
    const { connection, logger, where } = this.options;
    for (let attempt = 0; ; attempt++) {
      const client = new Client(connection.timeoutMs);
      try {
        await this.login(client);
        return client;
      } catch (err) {
        client.close();
        const error = ftpError(err, `${where}: cannot connect`, connection.password);
        if (error.kind !== 'retryable' || attempt >= connection.connectRetries || this.isClosed) throw error;
        const delay = Math.min(250 * 2 ** attempt, 5000) * (0.5 + Math.random() / 2);
        logger.warn({ attempt: attempt + 1, delayMs: Math.round(delay) }, `${error.message}; trying again`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  // connect, TLS, check a pinned certificate, then log in: the password is sent only to a trusted server.
  private async login(client: Client): Promise<void> {
    const { connection, ca } = this.options;
    const { tls } = connection;
    const secureOptions = {
      host: connection.host,
      servername: tls.servername ?? connection.host,
      ca,
      // A pinned certificate is checked by its fingerprint below, whoever signed it.
      rejectUnauthorized: tls.verify && tls.fingerprint === undefined,
    };
    if (tls.mode === 'implicit')
      await client.connectImplicitTLS(connection.host, connection.port ?? 990, secureOptions);
    else await client.connect(connection.host, connection.port ?? 21);
    // Data connections only: TLS wraps the raw socket and reads it itself.
    if (tls.mode === 'none') client.ftp._newSocket = slabSocket;
    if (tls.mode === 'explicit') await client.useTLS(secureOptions);
    if (tls.fingerprint !== undefined) this.checkFingerprint(client, tls.fingerprint);
    await client.sendIgnoringError('OPTS UTF8 ON');
    await client.login(connection.user, connection.password);
    await client.useDefaultSettings();
  }

  private checkFingerprint(client: Client, expected: string): void {
    const socket = client.ftp.socket as TLSSocket;
    const raw = socket.getPeerX509Certificate?.() as X509Certificate | undefined;
    const actual = raw?.fingerprint256;
    if (actual === undefined || actual.toUpperCase() !== expected.toUpperCase()) {
      throw new FatalError(
        `${this.options.where}: the server's certificate (SHA-256 ${actual ?? 'none'}) is not the pinned one ` +
          `(tls.fingerprint ${expected}); if the server's certificate changed on purpose, update tls.fingerprint`,
        { code: FS_ERROR.auth },
      );
    }
  }
}

/** Reads the CA file named in the config, at start, with a clear error. */
export function readCaFile(path: string | undefined, where: string): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new FatalError(`${where}: cannot read tls.caFile "${path}" (${(err as Error).message})`, {
      code: 'E_CONFIG_FILE',
      cause: err,
    });
  }
}
