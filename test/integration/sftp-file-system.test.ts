// Both SSH adapters (SFTP and SCP) against a real OpenSSH sshd: round trips, hostile file names, host keys,
// logins, and a server killed mid-transfer.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FileSystem, FS_ERROR } from '../../connectors/filesystem/file-system.js';
import { resolveSshSettings, type SshConnectionConfig, sshConnectionObject } from '../../connectors/sftp/connection.js';
import { ScpFileSystem } from '../../connectors/sftp/scp-file-system.js';
import { SessionPool } from '../../connectors/sftp/session-pool.js';
import { SftpFileSystem } from '../../connectors/sftp/sftp-file-system.js';
import type { Logger } from '../../core/plugin.js';
import { SSH_PASSWORD, SSH_USER, ThrowawaySshd } from '../harness/throwaway-sshd.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let sshd: ThrowawaySshd;

// Compared as digests: a deep equality of large buffers is slow and its diff unreadable.
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  sshd = await ThrowawaySshd.start();
}, 60_000);
afterAll(async () => {
  await sshd?.destroy();
});

function connection(extra: Partial<Record<keyof SshConnectionConfig, unknown>> = {}): SshConnectionConfig {
  return sshConnectionObject.parse({
    host: '127.0.0.1',
    port: sshd.port,
    user: SSH_USER,
    privateKey: sshd.clientKeyPath,
    knownHosts: sshd.knownHostsPath,
    ...extra,
  });
}

const adapters = {
  sftp: (config: SshConnectionConfig) =>
    new SftpFileSystem(new SessionPool(resolveSshSettings(config, '/', 'sftp test'), silent), {
      root: sshd.dataDir,
      verifyChecksum: true,
      logger: silent,
    }),
  scp: (config: SshConnectionConfig) =>
    new ScpFileSystem(new SessionPool(resolveSshSettings(config, '/', 'scp test'), silent), {
      root: sshd.dataDir,
      verifyChecksum: true,
      logger: silent,
    }),
};

const HOSTILE_NAMES = [
  'with space.txt',
  'it\'s quoted "twice".txt',
  'semi;colon; touch PWNED-semi',
  '$(touch PWNED-subst).txt',
  '`touch PWNED-backtick`.txt',
  'new\nline.txt',
  '-looks-like-an-option',
];

for (const [protocol, open] of Object.entries(adapters)) {
  describe(`${protocol} file system on OpenSSH`, () => {
    let fs: FileSystem;
    beforeAll(() => {
      fs = open(connection());
    });
    afterAll(async () => {
      await fs?.close();
    });

    it('writes, lists, reads from an offset, renames and deletes a file', async () => {
      const dir = `/${protocol}-basic/nested`;
      await fs.mkdir(dir);
      const bytes = randomBytes(300_000);
      await fs.write(`${dir}/a.bin`, Readable.from([bytes]));
      const listed = await fs.list(dir);
      expect(listed.map((e) => [e.name, e.type, e.size])).toEqual([['a.bin', 'file', bytes.length]]);
      expect(sha256(await buffer(await fs.read(`${dir}/a.bin`)))).toBe(sha256(bytes));
      expect(sha256(await buffer(await fs.read(`${dir}/a.bin`, 1000)))).toBe(sha256(bytes.subarray(1000)));
      expect(await fs.checksum?.(`${dir}/a.bin`, 'sha256')).toBe(sha256(bytes));
      await fs.write(`${dir}/b.bin`, Readable.from([Buffer.from('other')]));
      await expect(fs.rename(`${dir}/a.bin`, `${dir}/b.bin`)).rejects.toMatchObject({ code: FS_ERROR.exists });
      await fs.rename(`${dir}/a.bin`, `${dir}/b.bin`, { ifExists: 'replace' });
      expect(sha256(await buffer(await fs.read(`${dir}/b.bin`)))).toBe(sha256(bytes));
      expect(await fs.stat(`${dir}/a.bin`)).toBeUndefined();
      await fs.delete(`${dir}/b.bin`);
      await fs.delete(`${dir}/b.bin`);
      expect(await fs.list(dir)).toEqual([]);
    });

    it('reports a missing file as not found, with the path in the message', async () => {
      await expect(fs.read('/nowhere/missing.csv')).rejects.toMatchObject({
        code: FS_ERROR.notFound,
        kind: 'record',
        message: expect.stringContaining('missing.csv'),
      });
    });

    it('transfers files with hostile names exactly and runs none of them', async () => {
      const dir = `/${protocol}-hostile`;
      await fs.mkdir(dir);
      for (const name of HOSTILE_NAMES) {
        await fs.write(`${dir}/${name}`, Readable.from([Buffer.from(`content of ${name}`)]));
      }
      const listed = (await fs.list(dir)).map((e) => e.name).sort();
      expect(listed).toEqual([...HOSTILE_NAMES].sort());
      for (const name of HOSTILE_NAMES) {
        expect((await buffer(await fs.read(`${dir}/${name}`))).toString()).toBe(`content of ${name}`);
        await fs.rename(`${dir}/${name}`, `${dir}/${name}.done`);
      }
      expect((await fs.list(dir)).map((e) => e.name).sort()).toEqual(HOSTILE_NAMES.map((n) => `${n}.done`).sort());
      // Nothing ran: no file named PWNED-* appeared anywhere the shell could have created one.
      for (const where of ['/', dir]) {
        expect((await fs.list(where)).filter((e) => e.name.startsWith('PWNED'))).toEqual([]);
      }
      const home = await (fs as SftpFileSystem | ScpFileSystem).home();
      expect(home).toBe('/tmp');
    });

    it('refuses an unknown host key, printing the fingerprint seen and how to trust it', async () => {
      const other = `${sshd.dir}/other_known_hosts`;
      writeFileSync(other, '');
      const wrong = open(connection({ knownHosts: other }));
      await expect(wrong.list('/')).rejects.toMatchObject({
        kind: 'fatal',
        code: FS_ERROR.auth,
        message: expect.stringContaining(sshd.hostKeyFingerprint),
      });
      await wrong.close();
      const pinnedOther = open(connection({ knownHosts: undefined, hostKeys: [`SHA256:${'A'.repeat(43)}`] }));
      const err = await pinnedOther.list('/').catch((e: Error) => e);
      expect(err).toMatchObject({ kind: 'fatal', code: FS_ERROR.auth });
      expect((err as Error).message).toContain(sshd.hostKeyFingerprint);
      expect((err as Error).message).toContain('does not match');
      await pinnedOther.close();
      const pinned = open(connection({ knownHosts: undefined, hostKeys: [sshd.hostKeyFingerprint] }));
      expect(Array.isArray(await pinned.list('/'))).toBe(true);
      await pinned.close();
    });

    it('fails a wrong password as fatal with a clear message and no secret in it', async () => {
      const wrong = open(connection({ privateKey: undefined, password: 'not-the-password' }));
      const err = await wrong.list('/').catch((e: Error) => e);
      expect(err).toMatchObject({ kind: 'fatal', code: FS_ERROR.auth });
      expect((err as Error).message).toMatch(/refused the login/);
      expect((err as Error).message).not.toContain('not-the-password');
      await wrong.close();
      const right = open(connection({ privateKey: undefined, password: SSH_PASSWORD }));
      expect(Array.isArray(await right.list('/'))).toBe(true);
      await right.close();
    });

    it('fails a key the server does not accept as fatal', async () => {
      const stranger = `${sshd.dir}/stranger_key_${protocol}`;
      const { execFileSync } = await import('node:child_process');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
      const wrong = open(connection({ privateKey: readFileSync(stranger, 'utf8') }));
      await expect(wrong.list('/')).rejects.toMatchObject({ kind: 'fatal', code: FS_ERROR.auth });
      await wrong.close();
    });
  });
}
