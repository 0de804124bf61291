// One SSH connection: TCP with no-delay (streamed SFTP is ~100× slower without it), keepalives, host-key
// verification, and a deadline on every operation. When a deadline passes the whole connection is destroyed,
// so every call on it settles even when the server vanished without a word; the pool then opens a new one.
import { type Socket, connect as tcpConnect } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { type ClientChannel, type SFTPWrapper, Client as SshClient } from 'ssh2';
import { FatalError, RetryableError, type SluiceError } from '../../core/errors.js';
import type { Logger } from '../../core/plugin.js';
import { FS_ERROR } from '../filesystem/file-system.js';
import { classifySshError } from './classify-error.js';
import type { SshSettings } from './connection.js';
import { type HostKeyVerdict, knownHostsName } from './host-key.js';

/** The servers (by their pool's settings) that have started a command for us at least once. */
const serversThatExec = new WeakSet<SshSettings>();

function hostKeyError(settings: SshSettings, verdict: HostKeyVerdict): FatalError {
  const { fingerprint } = verdict;
  const scan = `ssh-keyscan -p ${settings.port} ${settings.host}`;
  const trust =
    `if this is the server's key (compare with \`ssh-keygen -lf\` on the server's host key), add "${fingerprint}" ` +
    `to hostKeys, or add the line from \`${scan}\` to the known_hosts file`;
  const reason = verdict.trusted ? 'trusted' : verdict.reason;
  const what =
    reason === 'changed'
      ? `host key ${fingerprint} does not match the key trusted for ${knownHostsName(settings.host, settings.port)} ` +
        `in ${settings.hostKeySource}: the server was reinstalled, or someone is in the middle. ` +
        `Do not trust it before checking; ${trust}`
      : reason === 'revoked'
        ? `host key ${fingerprint} is marked @revoked in ${settings.hostKeySource}; the server must present another key`
        : `host key ${fingerprint} is not trusted (not in ${settings.hostKeySource}); ${trust}`;
  return new FatalError(`${settings.where}: ${what}`, { code: FS_ERROR.auth, details: { fingerprint } });
}

function openSocket(settings: SshSettings): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: settings.host, port: settings.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new RetryableError(`${settings.where}: no TCP connection within ${settings.connectTimeoutMs} ms; retrying`, {
          code: FS_ERROR.unavailable,
        }),
      );
    }, settings.connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      socket.setKeepAlive(true, settings.keepaliveMs || 10_000);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(classifySshError(err, settings.where));
    });
  });
}

export class SshSession {
  private sftpChannel: Promise<SFTPWrapper> | undefined;
  private brokenBy: SluiceError | undefined;

  private constructor(
    private readonly client: SshClient,
    readonly settings: SshSettings,
  ) {
    client.on('error', (err) => this.markBroken(classifySshError(err, settings.where)));
    client.on('close', () =>
      this.markBroken(new RetryableError(`${settings.where}: connection closed`, { code: FS_ERROR.unavailable })),
    );
  }

  static async open(settings: SshSettings, logger: Logger): Promise<SshSession> {
    if (!settings.hostKeys) {
      logger.warn(
        { host: settings.host, port: settings.port },
        `${settings.where}: acceptAnyHostKey is on: the server's identity is not checked`,
      );
    }
    const sock = await openSocket(settings);
    const client = new SshClient();
    let refused: HostKeyVerdict | undefined;
    return new Promise<SshSession>((resolve, reject) => {
      const fail = (err: unknown) => {
        client.removeAllListeners('ready');
        client.on('error', () => {});
        client.destroy();
        sock.destroy();
        reject(refused ? hostKeyError(settings, refused) : classifySshError(err, settings.where));
      };
      client.once('ready', () => {
        client.removeListener('error', fail);
        client.removeListener('close', onClose);
        resolve(new SshSession(client, settings));
      });
      const onClose = () => fail(new Error('connection closed during the handshake'));
      client.once('error', fail);
      client.once('close', onClose);
      try {
        client.connect({
          sock,
          username: settings.user,
          password: settings.password,
          privateKey: settings.privateKey,
          passphrase: settings.passphrase,
          agent: settings.agent,
          readyTimeout: settings.connectTimeoutMs,
          keepaliveInterval: settings.keepaliveMs,
          keepaliveCountMax: 3,
          hostVerifier: (key: Buffer) => {
            if (!settings.hostKeys) return true;
            const verdict = settings.hostKeys.verify(key);
            if (!verdict.trusted) refused = verdict;
            return verdict.trusted;
          },
        });
      } catch (err) {
        fail(err);
      }
    });
  }

  /** Set once the connection failed or was closed; the pool drops a broken session. */
  get isBroken(): boolean {
    return this.brokenBy !== undefined;
  }

  private markBroken(err: SluiceError): void {
    this.brokenBy ??= err;
  }

  /** Drops the connection at once: every pending request on it fails and so settles. */
  destroy(reason?: SluiceError): void {
    this.markBroken(
      reason ?? new RetryableError(`${this.settings.where}: connection closed`, { code: FS_ERROR.unavailable }),
    );
    this.client.destroy();
  }

  close(): void {
    this.markBroken(new RetryableError(`${this.settings.where}: connection closed`, { code: FS_ERROR.unavailable }));
    this.client.end();
  }

  private timeoutError(what: string): RetryableError {
    return new RetryableError(
      `${this.settings.where}: ${what} got no answer within ${this.settings.timeoutMs} ms; the connection was dropped, retrying`,
      { code: FS_ERROR.unavailable },
    );
  }

  /**
   * Runs one request with the session's deadline. `what` names the operation and path for messages. The
   * callback style is ssh2's; any error is classified here, at the edge.
   */
  request<T>(what: string, run: (done: (err: unknown, value?: T) => void) => void): Promise<T> {
    if (this.brokenBy) return Promise.reject(this.brokenBy);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = this.timeoutError(what);
        this.destroy(err);
        reject(err);
      }, this.settings.timeoutMs);
      try {
        run((err, value) => {
          clearTimeout(timer);
          if (err) reject(this.failureOf(err, what));
          else resolve(value as T);
        });
      } catch (err) {
        clearTimeout(timer);
        reject(classifySshError(err, `${this.settings.where}, ${what}`));
      }
    });
  }

  /**
   * A request's error: ssh2 fails the requests of a dropped connection with the words of a refusal ("Unable to
   * exec"), which would read as a server that cannot do it; on a broken connection they are retryable.
   */
  private failureOf(err: unknown, what: string): SluiceError {
    if (!this.brokenBy) return classifySshError(err, `${this.settings.where}, ${what}`);
    return new RetryableError(
      `${this.settings.where}, ${what}: the connection dropped (${(err as Error).message ?? err}); retrying`,
      { code: FS_ERROR.unavailable, cause: err },
    );
  }

  /** The SFTP subsystem of this connection, opened once. */
  sftp(): Promise<SFTPWrapper> {
    this.sftpChannel ??= this.request<SFTPWrapper>('opening the SFTP subsystem', (done) =>
      this.client.sftp((err, sftp) => done(err, sftp)),
    );
    return this.sftpChannel;
  }

  /**
   * Starts a command on an exec channel (for SCP and server-side helpers such as sha256sum), with the transfer
   * deadline of `guardTransfer` on `progress`. `prepare` and the deadline are set up as soon as the channel opens,
   * before anything else is parsed: a quick command's exit status and close can arrive in the same packet as the
   * channel's confirmation, and a listener added after an await would miss them (a deadline armed then would
   * never be disarmed, and would drop this connection, reused meanwhile, one `timeoutMs` later).
   */
  async exec(
    command: string,
    what: string,
    progress: () => number,
    prepare?: (channel: ClientChannel) => void,
  ): Promise<ClientChannel> {
    try {
      const channel = await this.request<ClientChannel>(what, (done) =>
        this.client.exec(command, (err, channel) => {
          if (!err) {
            prepare?.(channel);
            this.guardTransfer(channel, what, progress);
          }
          done(err, channel);
        }),
      );
      serversThatExec.add(this.settings);
      return channel;
    } catch (err) {
      // A server that has run our commands before and refuses one now is short of sessions or processes (a busy
      // sshd under many parallel uploads): that passes. Only a server that never ran one lacks the support.
      if ((err as { code?: unknown }).code === FS_ERROR.unsupported && serversThatExec.has(this.settings)) {
        throw new RetryableError(
          `${this.settings.where}, ${what}: the server refused to start a command it ran before (short of sessions or processes?); retrying`,
          { code: FS_ERROR.unavailable, cause: err },
        );
      }
      throw err;
    }
  }

  /**
   * Puts a deadline on a transfer: when `progress()` (bytes moved) stays still for `timeoutMs` while the
   * transfer waits on the server, the connection is destroyed and the stream fails with a retryable error, so a
   * reader or writer never waits forever on a silent server. Time spent waiting on our own consumer (data
   * buffered unread) or producer (nothing queued to write) does not count.
   */
  guardTransfer(stream: Readable | Writable, what: string, progress: () => number): void {
    let last = progress();
    const timer = setInterval(() => {
      const now = progress();
      const waitingOnUs =
        'readableLength' in stream ? stream.readableLength > 0 : (stream as Writable).writableLength === 0;
      if (now !== last || waitingOnUs) {
        last = now;
        return;
      }
      const err = this.timeoutError(what);
      this.destroy(err);
      stream.destroy(err);
    }, this.settings.timeoutMs);
    timer.unref();
    stream.once('close', () => clearInterval(timer));
  }
}
