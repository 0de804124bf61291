// An SSH server that refuses to start a command: fatal (the server cannot do it) when it never ran one for us,
// retryable when it ran ours before (a busy sshd short of sessions or processes). An in-process ssh2 server plays
// the part, refusing exactly when told to.
import type { AddressInfo } from 'node:net';
import { Server, utils } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSshSettings, sshConnectionObject } from '../../../../connectors/sftp/connection.js';
import { fingerprintOf } from '../../../../connectors/sftp/host-key.js';
import { runCommand } from '../../../../connectors/sftp/remote-command.js';
import { SshSession } from '../../../../connectors/sftp/ssh-session.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const hostKey = utils.generateKeyPairSync('ed25519').private;
let refuseExec = false;
let server: Server;
let port: number;

beforeAll(async () => {
  server = new Server({ hostKeys: [hostKey] }, (client) => {
    client.on('authentication', (ctx) => ctx.accept());
    client.on('ready', () =>
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec, reject) => {
          if (refuseExec) {
            reject?.();
            return;
          }
          const channel = acceptExec();
          channel.exit(0);
          channel.end();
        });
      }),
    );
    client.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function openSession(): Promise<SshSession> {
  const parsed = utils.parseKey(hostKey);
  if (parsed instanceof Error) throw parsed;
  const config = sshConnectionObject.parse({
    host: '127.0.0.1',
    port,
    user: 'u',
    password: 'p',
    hostKeys: [fingerprintOf(parsed.getPublicSSH())],
    timeoutMs: 5_000,
  });
  return SshSession.open(resolveSshSettings(config, process.cwd(), 'scp sink "t"'), silent);
}

describe('a command the SSH server refuses to start', () => {
  it('is fatal when the server never ran one: it cannot do it', async () => {
    refuseExec = true;
    const session = await openSession();
    try {
      await expect(runCommand(session, 'true', 'probe')).rejects.toMatchObject({
        kind: 'fatal',
        code: 'E_FS_UNSUPPORTED',
      });
    } finally {
      session.close();
    }
  });

  it('is retryable when the server ran one before on that connection', async () => {
    refuseExec = false;
    const session = await openSession();
    try {
      await expect(runCommand(session, 'true', 'probe')).resolves.toMatchObject({ exitCode: 0 });
      refuseExec = true;
      await expect(runCommand(session, 'true', 'probe')).rejects.toMatchObject({
        kind: 'retryable',
        code: 'E_FS_UNAVAILABLE',
        message: expect.stringContaining('refused to start a command it ran before'),
      });
    } finally {
      session.close();
    }
  });
});
